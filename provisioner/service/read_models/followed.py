"""What a door's reference became (the portal's `/suivi` page): its submissions, oldest first, with their
reports (rapport.json's schema, never a secret) and whether their annotated copy is in the outbox yet."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from provisioner.domain.vocabulary import Door
from provisioner.reports.report_json import REPORT_NAME
from provisioner.reports.report_model import Report, stored_report
from provisioner.service.context import ServiceContext
from provisioner.service.intake.batch_summary import SUMMARY_JSON, summary_folder
from provisioner.service.submission.outputs import ANNOTATED
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.tables import submissions


@dataclass(frozen=True)
class Followed:
    id: str
    file_name: str
    status: str
    request_type: str | None
    adherent_numero: str | None
    received_at: datetime
    batch_id: str | None
    report: Report  # as stored or written
    annotated: Path | None  # the rejection's annotated copy, once written


def followed(ctx: ServiceContext, door: Door, reference: str) -> list[Followed]:
    with UnitOfWork(ctx, read_only=True) as uow:
        ids = uow.submissions.by_origin(door, reference)
        rows = {row.id: row for row in uow.conn.execute(select(submissions).where(submissions.c.id.in_(ids)))}
    found = []
    for submission_id in ids:
        row = rows.get(submission_id)
        if row is None:  # a duplicate has no submissions row (sha256 is the prior's): only its outputs
            duplicate = _duplicate(ctx, submission_id)
            found += [duplicate] if duplicate is not None else []
            continue
        copy = ctx.outbox / row.id / ANNOTATED
        found.append(Followed(row.id, row.file_name, row.status, row.request_type, row.adherent_numero,
                              row.received_at, row.batch_id, stored_report(row.report or {}),
                              copy if row.status == "rejected" and copy.is_file() else None))
    return found


def _duplicate(ctx: ServiceContext, submission_id: str) -> Followed | None:
    """A duplicate, from the rapport.json it left in the outbox (None while it is owed)."""
    try:
        report = stored_report(json.loads((ctx.outbox / submission_id / REPORT_NAME).read_text(encoding="utf-8")))
        return Followed(submission_id, str(report["file"]), str(report["status"]), report.get("request_type"),
                        report.get("adherent"), datetime.fromisoformat(str(report["received_at"])),
                        report.get("batch"),
                        report, None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def batch_finished(ctx: ServiceContext, batch_id: str) -> bool:
    """Every member of the zip is processed: its summary is written last."""
    return (summary_folder(ctx, batch_id) / SUMMARY_JSON).is_file()
