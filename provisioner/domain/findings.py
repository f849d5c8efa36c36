"""Findings are data, not exceptions: a rejected workbook is a normal result."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# ERROR_CODES (the spec's codes) and Severity are the code table's; importers have long found them here.
from provisioner.domain.finding_codes import ERROR_CODES, FindingCode, Severity

__all__ = ["ERROR_CODES", "Finding", "FindingCode", "Severity", "error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing) about a workbook, and where.

    `row` is the Excel row number, `column` the header or label without `*`,
    `cell` the Excel reference (`K7`). What a finding cannot name stays None.
    """

    code: FindingCode
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    cell: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        del data["severity"]
        return data


def error(code: FindingCode, message: str, **where: object) -> Finding:
    return Finding(code, message, **where)  # type: ignore[arg-type]


def warning(code: FindingCode, message: str, **where: object) -> Finding:
    return Finding(code, message, severity=Severity.WARNING, **where)  # type: ignore[arg-type]
