"""Findings are data, not exceptions: a rejected workbook is a normal result."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum

from provisioner.workbook.layout import SHEET_ORDER


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


# The spec's codes (never renamed) and the project's own warnings.
ERROR_CODES = frozenset({
    "FILE_TYPE", "FILE_UNREADABLE", "FILE_TOO_LARGE", "TEMPLATE_MISMATCH", "REQUIRED",
    "INVALID_VALUE", "INVALID_FORMAT", "PASSWORD_POLICY", "PASSWORD_MISMATCH",
    "SECRET_QUESTIONS", "LOGIN_DUPLICATE", "LOGIN_TAKEN", "USER_NOT_FOUND", "CATEGORY_MISSING",
    "CATEGORY_UNKNOWN_LOGIN", "EASYPAIEMENT_ROLE", "EASYPAIEMENT_VALIDATORS", "AUTH_FAILED",
    "ACCOUNT_LOCKED", "ADHERENT_PENDING", "ADHERENT_EXISTS",
})


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing) about a workbook, and where.

    `row` is the Excel row number, `column` the header or label without `*`,
    `cell` the Excel reference (`K7`). What a finding cannot name stays None.
    """

    code: str
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

    def sort_key(self) -> tuple[int, str, int, str, str]:
        sheet_rank = SHEET_ORDER.index(self.sheet) if self.sheet in SHEET_ORDER else -1
        return (sheet_rank, self.sheet or "", self.row or 0, self.cell or "", self.code)


def error(code: str, message: str, **where: object) -> Finding:
    return Finding(code, message, **where)  # type: ignore[arg-type]


def warning(code: str, message: str, **where: object) -> Finding:
    return Finding(code, message, severity=Severity.WARNING, **where)  # type: ignore[arg-type]


def split(findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings), each in workbook order."""
    ordered = sorted(findings, key=Finding.sort_key)
    return [f for f in ordered if f.is_error], [f for f in ordered if not f.is_error]
