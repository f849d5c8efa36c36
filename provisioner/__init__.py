"""provisioner: CIMR téléservices accounts provisioned from a standard Excel workbook."""

__version__ = "0.1.0"
