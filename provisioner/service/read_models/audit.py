"""The audit as people read it: who did what, to what, when and why."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict

from sqlalchemy import select

from provisioner.domain.json_value import JsonValue
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.paging import Page, fetch_page
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeRow, SomeSelect
from provisioner.store.tables import audit


class JournalColumns(TypedDict):
    """An audit row as `journal_columns` reads it."""

    id: int
    at: datetime
    actor: str
    adherent_numero: str | None
    action: str
    target: str | None
    after: Mapping[str, JsonValue] | None  # what each action's writer said: no one shape


class JournalEntry(TypedDict):
    """What a company's page shows of an audit row: without its `after` (it may say more than people need),
    but with the reason given."""

    at: datetime
    actor: str
    action: str
    target: str | None
    reason: str | None


class JournalRow(JournalEntry):
    """An audit row as the journal and its export show it."""

    id: int
    adherent_numero: str | None


def journal_columns() -> SomeSelect:
    return select(audit.c.id, audit.c.at, audit.c.actor, audit.c.adherent_numero, audit.c.action,
                  audit.c.target, audit.c.after)


def filter_journal(query: SomeSelect, *, actor: str = "", action: str = "", day: date | None = None) -> SomeSelect:
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
            page: int = 1) -> Page[JournalRow]:
    """The audit, newest first: who did what, to what, and why."""
    query = filter_journal(journal_columns(), actor=actor, action=action, day=day).order_by(audit.c.id.desc())
    with UnitOfWork(ctx, read_only=True) as uow:
        found = fetch_page(uow.conn, query, page, JournalColumns, counted=True)
    return Page([audit_row(r) for r in found.rows], found.number, found.has_next, found.extra, found.total)


def audit_row(row: JournalColumns) -> JournalRow:
    """A row of `journal_columns` as people read it."""
    return {"id": row["id"], "at": row["at"], "actor": row["actor"], "adherent_numero": row["adherent_numero"],
            "action": row["action"], "target": row["target"], "reason": _reason(row["after"])}


def journal_entry(row: SomeRow) -> JournalEntry:
    """A row of (at, actor, action, target, after) as a company's page shows it."""
    return {"at": row.at, "actor": row.actor, "action": row.action, "target": row.target,
            "reason": _reason(row.after)}


def _reason(after: Mapping[str, JsonValue] | None) -> str | None:
    reason = after.get("reason") if isinstance(after, Mapping) else None
    return reason if isinstance(reason, str) else None
