"""The state of the service, as an operator checks it each morning (`provisioner status`).

Its parts (the inbox, waiting subscriptions, locked companies) serve the
dashboard too, which asks them for the first rows and a count.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from sqlalchemy import Connection, func, select

from provisioner.domain.vocabulary import AdherentStatus
from provisioner.service.context import ServiceContext
from provisioner.service.intake.inbox import cannot_read, is_candidate_name
from provisioner.service.intake.names import display_name
from provisioner.service.read_models.mails import MailCounts, mail_counts
from provisioner.service.read_models.requests import WaitingRequest, requests_waiting
from provisioner.service.read_models.submissions import StatusCounts, Unfinished, submission_counts, unfinished
from provisioner.service.read_models.timing import SUBSCRIPTION_OVERDUE, hours
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeSelect
from provisioner.store.tables import adherents


class InboxState(TypedDict):
    path: str
    exists: bool
    files: int
    unreadable: list[str]  # names (escaped) the service may not read: they wait for their permissions


class WaitingSubscription(TypedDict):
    numero: str
    raison_sociale: str | None
    since: datetime
    age_hours: float
    overdue: bool  # past the 48 hours promised


class LockedCompany(TypedDict):
    numero: str
    raison_sociale: str | None
    failed_auth: int
    locked_until: datetime


class ServiceStatus(TypedDict):
    at: datetime
    submissions: dict[str, StatusCounts]
    unfinished: list[Unfinished]
    inbox: InboxState
    emails: MailCounts
    subscriptions_waiting: list[WaitingSubscription]
    locked: list[LockedCompany]
    requests_waiting: list[WaitingRequest]


def status(ctx: ServiceContext, now: datetime) -> ServiceStatus:
    """What an operator checks each morning: queue, failures, emails, subscriptions and requests waiting."""
    with UnitOfWork(ctx, read_only=True) as uow:
        return {
            "at": now,
            "submissions": submission_counts(uow.conn, now),
            "unfinished": unfinished(uow.conn),
            "inbox": inbox_state(ctx.settings.inbox),
            "emails": mail_counts(uow.conn, smtp_configured=bool(ctx.settings.smtp_host)),
            "subscriptions_waiting": subscriptions_waiting(uow.conn, now),
            "locked": locked(uow.conn, now),
            "requests_waiting": requests_waiting(uow.conn, now),
        }


def inbox_state(inbox: Path) -> InboxState:
    """How many files wait in the inbox; lock files, hidden files and files being written do not count."""
    try:
        entries = list(os.scandir(inbox))
    except (FileNotFoundError, NotADirectoryError):
        return {"path": str(inbox), "exists": False, "files": 0, "unreadable": []}
    # The inbox's own rule (service.inbox.is_candidate_name), so the count is what the service would take.
    candidates = [e for e in entries if e.is_file(follow_symlinks=False) and is_candidate_name(e.name)]
    unreadable = sorted(display_name(e.name) for e in candidates if cannot_read(Path(e.path)))
    return {"path": str(inbox), "exists": True, "files": len(candidates), "unreadable": unreadable}


def subscriptions_waiting(conn: Connection, now: datetime, limit: int | None = None) -> list[WaitingSubscription]:
    """Subscriptions waiting for validation, oldest (so the overdue ones) first; the first `limit` if given."""
    query = select(adherents.c.numero, adherents.c.raison_sociale, adherents.c.created_at).where(
        adherents.c.status == AdherentStatus.PENDING).order_by(adherents.c.created_at).limit(limit)
    return [{"numero": r.numero, "raison_sociale": r.raison_sociale, "since": r.created_at,
             "age_hours": hours(now - r.created_at), "overdue": now - r.created_at > SUBSCRIPTION_OVERDUE}
            for r in conn.execute(query)]


def count_subscriptions_waiting(conn: Connection, now: datetime) -> tuple[int, int]:
    """(waiting, of which overdue): the dashboard's tile, without listing them."""
    overdue = func.count().filter(adherents.c.created_at < now - SUBSCRIPTION_OVERDUE)
    total, late = conn.execute(select(func.count(), overdue).where(adherents.c.status == AdherentStatus.PENDING)).one()
    return int(total), int(late or 0)


def locked(conn: Connection, now: datetime, limit: int | None = None) -> list[LockedCompany]:
    """Companies locked after failed authentications, by number; the first `limit` if given."""
    # Filtered in a subquery: asked for "by numero", SQLite would walk all 20,000 companies in that
    # order rather than take the few locked ones from their index and sort them.
    query = select(adherents.c.numero, adherents.c.raison_sociale, adherents.c.failed_auth,
                   adherents.c.locked_until).where(adherents.c.id.in_(_locked_ids(now))).order_by(
        adherents.c.numero).limit(limit)
    return [{"numero": r.numero, "raison_sociale": r.raison_sociale, "failed_auth": r.failed_auth,
             "locked_until": r.locked_until} for r in conn.execute(query)]


def count_locked(conn: Connection, now: datetime) -> int:
    return int(conn.execute(select(func.count()).where(adherents.c.locked_until > now)).scalar_one())


def _locked_ids(now: datetime) -> SomeSelect:
    return select(adherents.c.id).where(adherents.c.locked_until > now)
