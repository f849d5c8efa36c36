"""Change sets (a submission, or a revert) as the CLI's `submissions` commands and the web show them:
the list, one in detail with what the history recorded, and whether it was undone.

Read-only; what these return never holds a secret or a hash (the report
never has one, and the history is read through its public columns).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import Connection, select

from provisioner.reports.report_model import ChangeEntry, CompanyChangeEntry, Counts, FindingEntry, stored_report
from provisioner.service.agence.history import PUBLIC_COLUMNS, HistoryLine, public_row
from provisioner.service.agence.operator_commands import AgenceError
from provisioner.service.agence.revert import LeftAsItIs
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.errors import UnknownSubmission
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeRow
from provisioner.store.tables import adherents, history, reverts, submissions


class RevertOf(TypedDict):
    """The revert that undid a change set, and the one that undid it in turn, if any."""

    id: str
    at: datetime
    operator: str
    reason: str | None
    forced: bool
    reverted_by: RevertOf | None
    in_effect: bool  # it still holds: not itself undone by a revert in effect


class _ChangeSetFields(TypedDict):
    """What both a submission's line and its page show of it."""

    id: str
    received_at: datetime
    file: str
    adherent: str | None
    request_type: str | None
    status: str  # SubmissionStatus
    counts: Counts  # the report's


class ChangeSetSummary(_ChangeSetFields):
    errors: int  # how many the report holds
    reverted_by: RevertOf | None
    undone: bool  # reverted, and that revert in effect


class ChangeSetDetail(_ChangeSetFields):
    """A submission's summary with its report's findings and changes, and what the history recorded."""

    errors: list[FindingEntry]
    reverted_by: RevertOf | None
    undone: bool
    warnings: list[FindingEntry]
    changes: list[ChangeEntry]
    company_changes: list[CompanyChangeEntry]
    history: list[HistoryLine]


class RevertDetail(TypedDict):
    id: str
    target: str  # the change set it undid
    adherent: str
    at: datetime
    operator: str
    reason: str | None
    forced: bool
    left: list[LeftAsItIs]  # what --force left as it was, as revert.revert stored it (`later[].at` in ISO)
    history: list[HistoryLine]
    reverted_by: RevertOf | None
    undone: bool


def list_submissions(ctx: ServiceContext, adherent: str | None = None, limit: int = 200) -> list[ChangeSetSummary]:
    """The latest submissions (of one company), newest first, with their counts and their revert if any."""
    query = select(submissions).order_by(submissions.c.received_at.desc(), submissions.c.id.desc()).limit(limit)
    if adherent is not None:
        query = query.where(submissions.c.adherent_numero == adherent)
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        rows = conn.execute(query).all()
        undone = _reverts_of(conn, [r.id for r in rows])
    return [_summary(row, undone.get(row.id)) for row in rows]


def show_submission(ctx: ServiceContext, submission_id: str) -> ChangeSetDetail:
    """One submission: its summary, its changes field by field, what the store recorded, its revert."""
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        if row is None:
            raise UnknownSubmission(id=submission_id)
        undone = _reverts_of(conn, [row.id]).get(row.id)
        recorded = conn.execute(select(*PUBLIC_COLUMNS).where(history.c.change_set == row.id)
                                .order_by(history.c.id)).all()
    report = stored_report(row.report or {})
    summary = _summary(row, undone)
    return {"id": summary["id"], "received_at": summary["received_at"], "file": summary["file"],
            "adherent": summary["adherent"], "request_type": summary["request_type"], "status": summary["status"],
            "counts": summary["counts"], "errors": report.get("errors") or [], "reverted_by": summary["reverted_by"],
            "undone": summary["undone"], "warnings": report.get("warnings") or [],
            "changes": report.get("changes") or [], "company_changes": report.get("company_changes") or [],
            "history": [public_row(r) for r in recorded]}


def _reverts_of(conn: Connection, ids: list[str]) -> dict[str, RevertOf]:
    """The revert of each of `ids` that has one, each with its own revert in `reverted_by` (and so on),
    and `in_effect`: whether that revert still holds (it does unless itself undone and in effect)."""
    if not ids:
        return {}
    query = select(reverts.c.id, reverts.c.target, reverts.c.at, reverts.c.operator, reverts.c.reason,
                   reverts.c.forced).where(reverts.c.target.in_(ids))
    found: dict[str, RevertOf] = {
        r.target: {"id": r.id, "at": r.at, "operator": r.operator, "reason": r.reason, "forced": r.forced,
                   "reverted_by": None, "in_effect": True}
        for r in conn.execute(query)}
    # A revert can be reverted in turn: each level of the chain is one query on few rows.
    later = _reverts_of(conn, [r["id"] for r in found.values()])
    for undone in found.values():
        by = undone["reverted_by"] = later.get(undone["id"])
        undone["in_effect"] = not (by is not None and by["in_effect"])
    return found


def _summary(row: SomeRow, undone: RevertOf | None) -> ChangeSetSummary:
    report = stored_report(row.report or {})
    return {"id": row.id, "received_at": row.received_at, "file": row.file_name, "adherent": row.adherent_numero,
            "request_type": row.request_type, "status": row.status, "counts": report.get("counts") or {},
            "errors": len(report.get("errors") or []), "reverted_by": undone,
            "undone": bool(undone and undone["in_effect"])}


def revert_of(ctx: ServiceContext, change_set: str) -> RevertOf | None:
    """The revert that undid `change_set` (a submission or a revert), if any: id, at, operator, reason."""
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        return _reverts_of(conn, [change_set]).get(change_set)


class UnknownRevert(AgenceError):
    """Aucune annulation n'a la référence {id}."""


def show_revert(ctx: ServiceContext, revert_id: str) -> RevertDetail:
    """One revert: what it undid, who, when and why, the changes it made, and its own revert if any."""
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        row = conn.execute(select(reverts, adherents.c.numero).join(adherents, adherents.c.id == reverts.c.adherent_id)
                           .where(reverts.c.id == revert_id)).first()
        if row is None:
            raise UnknownRevert(id=revert_id)
        recorded = conn.execute(select(*PUBLIC_COLUMNS).where(history.c.change_set == row.id)
                                .order_by(history.c.id)).all()
        undone = _reverts_of(conn, [row.id]).get(row.id)
    return {"id": row.id, "target": row.target, "adherent": row.numero, "at": row.at, "operator": row.operator,
            "reason": row.reason, "forced": row.forced, "left": list(row.left or []),
            "history": [public_row(r) for r in recorded], "reverted_by": undone,
            "undone": bool(undone and undone["in_effect"])}
