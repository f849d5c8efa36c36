"""What the dashboard shows, read in one go: the static `outbox/index.html` and the web's `/` share it.

Lists come capped with their full count (`Capped`): the web shows 50 rows
of each and links to its list page; the static page, which has no server
to page with, asks for every row (`rows=None`). Nothing here formats: that
is reports.dashboard.build_view (the one sentence per request excepted: it
is the service's, service.request_summary).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar

from sqlalchemy import Connection

from provisioner.domain.vocabulary import RequestStatus
from provisioner.service.agence.request_summary import request_summary
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.mails import MailCounts, MailToWatch, mail_counts, mails_to_watch
from provisioner.service.read_models.paging import Capped
from provisioner.service.read_models.requests import RequestSummary, count_requests, request_rows
from provisioner.service.read_models.status import (
    InboxState,
    LockedCompany,
    WaitingSubscription,
    count_locked,
    count_subscriptions_waiting,
    inbox_state,
    locked,
    subscriptions_waiting,
)
from provisioner.service.read_models.submissions import (
    ErrorCode,
    RecentSubmission,
    Unfinished,
    frequent_error_codes,
    received_since,
    recent_submissions,
    unfinished,
)
from provisioner.service.read_models.timing import RECENT
from provisioner.service.unit_of_work import UnitOfWork

ERROR_WINDOW = timedelta(days=7)
TOP_CODES = 8

R = TypeVar("R")


class RequestWithSummary(RequestSummary):
    """A waiting request with what it asks, in one French sentence."""

    summary: str


@dataclass
class Facts:
    """Everything the page shows, as read from the store (no formatting yet)."""

    received: dict[str, int]  # by status, in the last 24 hours
    unfinished: list[Unfinished]
    inbox: InboxState
    emails: MailCounts
    subscriptions: Capped[WaitingSubscription]
    overdue: int  # subscriptions waiting past the 48 hours promised
    locked: Capped[LockedCompany]
    requests: Capped[RequestWithSummary]
    recent: list[RecentSubmission]
    mails: list[MailToWatch]
    codes: list[ErrorCode]  # of the last error_window
    error_window: ClassVar[timedelta] = ERROR_WINDOW


def collect(ctx: ServiceContext, now: datetime, *, rows: int | None, recent: int, mails: int) -> Facts:
    """The facts; at most `rows` of each list (all when None), the `recent` last submissions, `mails` emails."""
    with UnitOfWork(ctx, read_only=True) as uow:
        waiting, overdue = count_subscriptions_waiting(uow.conn, now)
        return Facts(
            received=received_since(uow.conn, now - RECENT),
            unfinished=unfinished(uow.conn),
            inbox=inbox_state(ctx.settings.inbox),
            emails=mail_counts(uow.conn, smtp_configured=bool(ctx.settings.smtp_host)),
            subscriptions=Capped(subscriptions_waiting(uow.conn, now, rows), waiting),
            overdue=overdue,
            locked=_capped(locked(uow.conn, now, rows), rows, lambda c: count_locked(c, now), uow.conn),
            requests=_capped(_waiting_requests(uow.conn, rows), rows,
                             lambda c: count_requests(c, RequestStatus.WAITING), uow.conn),
            recent=recent_submissions(uow.conn, recent),
            mails=mails_to_watch(uow.conn, mails) if mails else [],
            codes=frequent_error_codes(uow.conn, now - ERROR_WINDOW, TOP_CODES),
        )


def _capped(found: list[R], limit: int | None, count: Callable[[Connection], int], conn: Connection) -> Capped[R]:
    """Counted only when the list may have been cut: fewer rows than the limit are all of them."""
    if limit is None or len(found) < limit:
        return Capped(found, len(found))
    return Capped(found, count(conn))


def _waiting_requests(conn: Connection, limit: int | None) -> list[RequestWithSummary]:
    return [RequestWithSummary(**r, summary=request_summary(r["kind"], r["payload"]))
            for r in request_rows(conn, RequestStatus.WAITING, limit)]
