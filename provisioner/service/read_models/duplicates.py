"""Duplicates: files received again, which changed nothing. A duplicate has no submission row (its
file's SHA-256 is the original's): `submission_origins` records its id, its door and when; its report in
the outbox says the rest (file, company, which submission it repeats).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypedDict

from sqlalchemy import select

from provisioner.reports.report_model import Report, stored_report
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.paging import PAGE_SIZE, Page, count_of
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.tables import submission_origins, submissions


class DuplicateRow(TypedDict):
    id: str
    received_at: datetime
    door: str
    file_name: str | None  # from its report: None when the outbox no longer has it
    adherent_numero: str | None
    duplicate_of: str | None


def list_duplicates(ctx: ServiceContext, *, day: date | None = None, page: int = 1) -> Page[DuplicateRow]:
    """Duplicates, newest first (of one day, UTC), with their total; only the page's reports are read."""
    query = (select(submission_origins.c.submission_id, submission_origins.c.recorded_at,
                    submission_origins.c.door)
             .outerjoin(submissions, submissions.c.id == submission_origins.c.submission_id)
             .where(submissions.c.id.is_(None)))
    if day is not None:
        start = datetime.combine(day, time(), tzinfo=UTC)
        query = query.where(submission_origins.c.recorded_at >= start,
                            submission_origins.c.recorded_at < start + timedelta(days=1))
    number = max(1, page)
    with UnitOfWork(ctx, read_only=True) as uow:
        total = count_of(uow.conn, query)
        found = uow.conn.execute(query.order_by(submission_origins.c.recorded_at.desc(),
                                                submission_origins.c.submission_id.desc())
                                 .limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)).all()
    rows = [_row(ctx.outbox, r.submission_id, r.recorded_at, r.door) for r in found[:PAGE_SIZE]]
    return Page(rows, number, len(found) > PAGE_SIZE, total=total)


def duplicate_report(outbox: Path, submission_id: str) -> Report | None:
    """The report of duplicate `submission_id` in the outbox, or None (none there, or not a duplicate's)."""
    try:
        report = json.loads((outbox / submission_id / "rapport.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or report.get("status") != "duplicate":
        return None
    return stored_report(report)


def _row(outbox: Path, submission_id: str, at: datetime, door: str) -> DuplicateRow:
    report = duplicate_report(outbox, submission_id)
    if report is None:
        return {"id": submission_id, "received_at": at, "door": door, "file_name": None, "adherent_numero": None,
                "duplicate_of": None}
    return {"id": submission_id, "received_at": at, "door": door, "file_name": _text(report.get("file")),
            "adherent_numero": _text(report.get("adherent")), "duplicate_of": _text(report.get("duplicate_of"))}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
