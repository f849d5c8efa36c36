"""The workbook of a committed submission, for its outputs: read again only when they need it, never judged again.

Its outputs (reports, annotated copy, subscription form) are written after the
commit; when that fails, or the process dies in between, they are written
later from the stored report. Only an annotated copy of a workbook that was
read, or a subscription form, needs the workbook itself: then its archive copy
(the workbook as read, without secrets) is read, as `check_file` left it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from provisioner.domain.vocabulary import RequestType
from provisioner.service.context import ServiceContext
from provisioner.workbook.checker import read_as_checked
from provisioner.workbook.model import ParsedWorkbook

FILE_CODES = frozenset({"FILE_TYPE", "FILE_UNREADABLE", "FILE_TOO_LARGE"})


def needs_workbook(report: dict[str, Any]) -> bool:
    """An annotated copy (a workbook that was read, then rejected) or a subscription form needs it."""
    if report.get("status") == "rejected":
        return not {str(e.get("code")) for e in report.get("errors") or []} & FILE_CODES
    return report.get("status") == "accepted" and report.get("request_type") == RequestType.ABONNEMENT


def archive_path_for(ctx: ServiceContext, submission_id: str, received: datetime) -> Path:
    return ctx.settings.archive / f"{received:%Y}" / f"{received:%m}" / f"{submission_id}.xlsx"


def kept_workbook(ctx: ServiceContext, row: Any) -> ParsedWorkbook | None:
    """The archive copy of submission `row` (a submissions row with its report) read back, or None if not kept."""
    report = dict(row.report)
    path = archive_path_for(ctx, row.id, _received(report) or row.received_at)
    if not path.is_file():
        return None
    return read_as_checked(path, name=report.get("file") or row.file_name, max_bytes=ctx.max_bytes)


def _received(report: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(report.get("received_at")))
    except ValueError:
        return None
