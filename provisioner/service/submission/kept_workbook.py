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

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.report_model import Report
from provisioner.service.context import ServiceContext
from provisioner.store.submissions import StoredSubmission
from provisioner.workbook.checker import read_as_checked
from provisioner.workbook.model import ParsedWorkbook

FILE_CODES = frozenset({FindingCode.FILE_TYPE, FindingCode.FILE_UNREADABLE, FindingCode.FILE_TOO_LARGE})


def needs_workbook(report: Report) -> bool:
    """An annotated copy (a workbook that was read, then rejected) or a subscription form needs it."""
    if report["status"] == SubmissionStatus.REJECTED:
        return not {e["code"] for e in report["errors"]} & FILE_CODES
    return report["status"] == SubmissionStatus.ACCEPTED and report["request_type"] == RequestType.ABONNEMENT


def archive_path_for(ctx: ServiceContext, submission_id: str, received: datetime) -> Path:
    return ctx.settings.archive / f"{received:%Y}" / f"{received:%m}" / f"{submission_id}.xlsx"


def kept_workbook(ctx: ServiceContext, row: StoredSubmission) -> ParsedWorkbook | None:
    """The archive copy of submission `row` (a submissions row with its report) read back, or None if not kept."""
    report = row.committed_report()
    path = archive_path_for(ctx, row.id, _received(report) or row.received_at)
    if not path.is_file():
        return None
    return read_as_checked(path, name=report["file"] or row.file_name, max_bytes=ctx.max_bytes)


def _received(report: Report) -> datetime | None:
    try:
        return datetime.fromisoformat(str(report["received_at"]))
    except ValueError:
        return None
