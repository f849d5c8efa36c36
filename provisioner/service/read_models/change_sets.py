"""Change sets (a submission, or a revert) as the CLI's `submissions` commands and the web show them:
the list, one in detail with what the history recorded, and whether it was undone.

Read-only; what these return never holds a secret or a hash (the report
never has one, and the history is read through its public columns).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from provisioner.service.agence.history import PUBLIC_COLUMNS, public_row
from provisioner.service.agence.operator_commands import AgenceError
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.errors import UnknownSubmission
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.tables import adherents, history, reverts, submissions


def list_submissions(ctx: ServiceContext, adherent: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The latest submissions (of one company), newest first, with their counts and their revert if any."""
    query = select(submissions).order_by(submissions.c.received_at.desc(), submissions.c.id.desc()).limit(limit)
    if adherent is not None:
        query = query.where(submissions.c.adherent_numero == adherent)
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        rows = conn.execute(query).all()
        undone = _reverts_of(conn, [r.id for r in rows])
    return [_summary(row, undone.get(row.id)) for row in rows]


def show_submission(ctx: ServiceContext, submission_id: str) -> dict[str, Any]:
    """One submission: its summary, its changes field by field, what the store recorded, its revert."""
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        if row is None:
            raise UnknownSubmission(id=submission_id)
        undone = _reverts_of(conn, [row.id]).get(row.id)
        recorded = conn.execute(select(*PUBLIC_COLUMNS).where(history.c.change_set == row.id)
                                .order_by(history.c.id)).all()
    report = dict(row.report or {})
    return {**_summary(row, undone), "errors": report.get("errors") or [], "warnings": report.get("warnings") or [],
            "changes": report.get("changes") or [], "company_changes": report.get("company_changes") or [],
            "history": [public_row(r) for r in recorded]}


def _reverts_of(conn: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The revert of each of `ids` that has one, each with its own revert in `reverted_by` (and so on),
    and `in_effect`: whether that revert still holds (it does unless itself undone and in effect)."""
    if not ids:
        return {}
    query = select(reverts.c.id, reverts.c.target, reverts.c.at, reverts.c.operator, reverts.c.reason,
                   reverts.c.forced).where(reverts.c.target.in_(ids))
    found = {r.target: {"id": r.id, "at": r.at, "operator": r.operator, "reason": r.reason, "forced": r.forced}
             for r in conn.execute(query)}
    # A revert can be reverted in turn: each level of the chain is one query on few rows.
    later = _reverts_of(conn, [r["id"] for r in found.values()])
    for undone in found.values():
        undone["reverted_by"] = later.get(undone["id"])
        undone["in_effect"] = not (undone["reverted_by"] or {}).get("in_effect", False)
    return found


def _summary(row: Any, undone: dict[str, Any] | None) -> dict[str, Any]:
    report = dict(row.report or {})
    return {"id": row.id, "received_at": row.received_at, "file": row.file_name, "adherent": row.adherent_numero,
            "request_type": row.request_type, "status": row.status, "counts": report.get("counts") or {},
            "errors": len(report.get("errors") or []), "reverted_by": undone,
            "undone": bool(undone and undone["in_effect"])}


def revert_of(ctx: ServiceContext, change_set: str) -> dict[str, Any] | None:
    """The revert that undid `change_set` (a submission or a revert), if any: id, at, operator, reason."""
    with UnitOfWork(ctx, read_only=True) as uow:
        conn = uow.conn
        return _reverts_of(conn, [change_set]).get(change_set)


class UnknownRevert(AgenceError):
    """Aucune annulation n'a la référence {id}."""


def show_revert(ctx: ServiceContext, revert_id: str) -> dict[str, Any]:
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
