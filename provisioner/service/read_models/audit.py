"""The audit as people read it: who did what, to what, when and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from provisioner.service.context import ServiceContext
from provisioner.service.read_models.paging import Page, fetch_page
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.tables import audit


def journal_columns() -> Select[Any]:
    return select(audit.c.id, audit.c.at, audit.c.actor, audit.c.adherent_numero, audit.c.action,
                  audit.c.target, audit.c.after)


def filter_journal(query: Select[Any], *, actor: str = "", action: str = "", day: date | None = None) -> Select[Any]:
    """`query` cut to one actor, one action and/or one day (UTC): the page's filters, and its export's."""
    if actor:
        query = query.where(audit.c.actor == actor)
    if action:
        query = query.where(audit.c.action == action)
    if day is not None:
        start = datetime.combine(day, time(), tzinfo=UTC)
        query = query.where(audit.c.at >= start, audit.c.at < start + timedelta(days=1))
    return query


def journal(ctx: ServiceContext, *, actor: str = "", action: str = "", day: date | None = None,
            page: int = 1) -> Page[dict[str, Any]]:
    """The audit, newest first: who did what, to what, and why."""
    query = filter_journal(journal_columns(), actor=actor, action=action, day=day).order_by(audit.c.id.desc())
    with UnitOfWork(ctx, read_only=True) as uow:
        found = fetch_page(uow.conn, query, page, dict, counted=True)
    found.rows = [audit_row(r) for r in found.rows]
    return found


def audit_row(row: Any) -> dict[str, Any]:
    """An audit row without its `after` (it may say more than people need), but with the reason given."""
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    after = data.pop("after", None) or {}
    data["reason"] = after.get("reason") if isinstance(after, dict) else None
    return data
