"""Emails waiting or given up on, and their counts; never a body (it may hold a password)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, cast

from sqlalchemy import Connection, func, select

from provisioner.domain.vocabulary import MailStatus
from provisioner.mail.render import SECRET_KINDS
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.paging import Page, fetch_page
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeSelect
from provisioner.store.tables import mail_queue


class MailToWatch(TypedDict):
    id: int
    kind: str
    recipients: list[str] | None
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime


class MailRow(MailToWatch):
    sent_at: datetime | None
    submission_id: str | None


class MailCounts(TypedDict):
    pending: int
    failed: int
    oldest_pending: datetime | None
    waiting_for_smtp: int  # of the pending, those carrying a password while no SMTP host is set


def mail_columns() -> SomeSelect:
    return select(mail_queue.c.id, mail_queue.c.kind, mail_queue.c.recipients, mail_queue.c.subject,
                  mail_queue.c.status, mail_queue.c.attempts, mail_queue.c.next_attempt_at,
                  mail_queue.c.last_error, mail_queue.c.created_at, mail_queue.c.sent_at,
                  mail_queue.c.submission_id)


def list_mails(ctx: ServiceContext, *, status: str = "", page: int = 1) -> Page[MailRow]:
    """Emails failed or waiting (or of one of those statuses), failures first, oldest first."""
    wanted = (status,) if status in (MailStatus.PENDING, MailStatus.FAILED) else (MailStatus.FAILED, MailStatus.PENDING)
    query = (mail_columns().where(mail_queue.c.status.in_(wanted))
             .order_by(mail_queue.c.status, mail_queue.c.id))
    with UnitOfWork(ctx, read_only=True) as uow:
        return fetch_page(uow.conn, query, page, MailRow, counted=True)


def mails_to_watch(conn: Connection, limit: int) -> list[MailToWatch]:
    """Emails not sent yet or given up on, failures first (the static dashboard lists them)."""
    query = (select(mail_queue.c.id, mail_queue.c.kind, mail_queue.c.recipients, mail_queue.c.subject,
                    mail_queue.c.status, mail_queue.c.attempts, mail_queue.c.next_attempt_at,
                    mail_queue.c.last_error, mail_queue.c.created_at)
             .where(mail_queue.c.status.in_((MailStatus.PENDING, MailStatus.FAILED)))
             .order_by(mail_queue.c.status.desc(), mail_queue.c.created_at).limit(limit))
    return [cast(MailToWatch, dict(row._mapping)) for row in conn.execute(query)]


def mail_counts(conn: Connection, *, smtp_configured: bool) -> MailCounts:
    """Counts by status; without an SMTP host, how many password emails wait for one (mail.dispatch
    does not write them as `.eml` files)."""
    query = select(mail_queue.c.status, func.count()).group_by(mail_queue.c.status)
    counts: dict[str, int] = {status: int(n) for status, n in conn.execute(query)}
    pending = mail_queue.c.status == MailStatus.PENDING
    oldest = conn.execute(select(func.min(mail_queue.c.created_at)).where(pending)).scalar()
    waiting = 0 if smtp_configured else int(conn.execute(
        select(func.count()).where(pending, mail_queue.c.kind.in_(SECRET_KINDS))).scalar_one())
    return {"pending": int(counts.get(MailStatus.PENDING, 0)), "failed": int(counts.get(MailStatus.FAILED, 0)),
            "oldest_pending": oldest, "waiting_for_smtp": waiting}
