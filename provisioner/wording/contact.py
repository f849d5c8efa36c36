"""The Agence Virtuelle's contact, given at the end of every notice (spec.md: "The Agence Virtuelle's
contact for every notice"): the report, the subscription form, the emails, the workbook's instructions."""

from __future__ import annotations

NAME = "Responsable de l'Agence Virtuelle"
STREET = "100, Bd Abdelmoumen"
CITY = "20340 – Casablanca"
EMAIL = "agencevirtuelle@cimr.ma"

# One line per postal line: a form prints it as an address block, a report as a sentence.
ADDRESS: tuple[str, ...] = (NAME, STREET, CITY)
ADDRESS_LINE = f"{STREET}, {CITY}"  # the street and the city on one line (signatures, instructions)
