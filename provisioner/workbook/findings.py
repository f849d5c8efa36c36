"""Findings in workbook order: sheet by sheet as the template orders them, then row and cell."""

from __future__ import annotations

from provisioner.domain.findings import Finding
from provisioner.workbook.layout import SHEET_ORDER


def workbook_order(finding: Finding) -> tuple[int, str, int, str, str]:
    sheet_rank = SHEET_ORDER.index(finding.sheet) if finding.sheet in SHEET_ORDER else -1
    return (sheet_rank, finding.sheet or "", finding.row or 0, finding.cell or "", finding.code)


def split(findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings), each in workbook order."""
    ordered = sorted(findings, key=workbook_order)
    return [f for f in ordered if f.is_error], [f for f in ordered if not f.is_error]
