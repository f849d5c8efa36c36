"""Sending what the outbox holds: claim a due message, send it, record the outcome.

Claiming commits before anything is sent, so no database transaction stays
open (nor, on SQLite, the write lock held) while an SMTP server takes its
time. A claim is a lease: the row's `next_attempt_at` moves `CLAIM_LEASE`
ahead, so no other instance takes it meanwhile, and if this process dies
mid-send the message becomes due again when the lease ends (sent at least
once; its stable Message-ID lets a receiver drop the copy). On PostgreSQL the
candidate row is selected `FOR UPDATE SKIP LOCKED`, so two instances claiming
at once each take a different message instead of waiting on the same one;
on SQLite, `BEGIN IMMEDIATE` serialises claims, and the claim is a
conditional update either way.

Every outcome is stored state: `sent`; `pending` again with exponential
backoff after a temporary error; `failed` after a permanent one, or after a
temporary one once the message is older than the give-up time (a message is
always tried at least once, however late: a service down for days still
delivers what it queued). The two kinds that carry a password wait
encrypted, and are not claimed at all for a transport that would leave them
readable at rest (the `.eml` files when no SMTP host is set): they wait for
one, are decrypted only in `_outgoing`, and lose their bodies once
they are sent or have failed. Nothing raises out of
`send_due`: a broken transport or database is logged, and the next call
tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from provisioner.domain.vocabulary import MailStatus
from provisioner.mail.queue import readable_body
from provisioner.mail.render import SECRET_KINDS
from provisioner.mail.transport import OutgoingMail, Transport, TransportError
from provisioner.security.secret_key import InvalidToken
from provisioner.store.mails import Mails, QueuedMail

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)  # well above an SMTP exchange with its timeouts
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_PER_CALL = 200  # bounds one call; the scheduler calls again at the next poll
_ERROR_MAX = 1000


@dataclass(frozen=True)
class DispatchCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts: 30 s, 1 min, 2 min, ... at most 1 h."""
    exponent = min(max(attempts - 1, 0), 16)  # 30 s × 2^16 is far past the cap already
    return min(BACKOFF_BASE * (1 << exponent), BACKOFF_MAX)


def send_due(
    engine: Engine,
    transport: Transport,
    *,
    now: datetime,
    give_up_after: timedelta,
    limit: int = MAX_PER_CALL,
) -> DispatchCounts:
    """Send the messages due at `now` (aware UTC), at most `limit` of them."""
    if now.tzinfo is None:
        raise ValueError("send_due needs an aware datetime (UTC)")  # a caller's bug, not a delivery failure
    sent = retried = failed = 0
    for _ in range(limit):
        try:
            row = _claim_one(engine, now, secrets=transport.carries_secrets)
        except Exception as error:
            log.error("mail queue unavailable: %s", _describe(error))
            break
        if row is None:
            break
        outcome = _attempt(engine, transport, row, now=now, give_up_after=give_up_after)
        sent += outcome == "sent"
        retried += outcome == "retried"
        failed += outcome == "failed"
    return DispatchCounts(sent=sent, retried=retried, failed=failed)


def _claim_one(engine: Engine, now: datetime, *, secrets: bool = True) -> QueuedMail | None:
    with engine.begin() as conn:
        return Mails(conn).claim_due(now, CLAIM_LEASE, secrets=secrets)


def _attempt(
    engine: Engine, transport: Transport, row: QueuedMail, *, now: datetime, give_up_after: timedelta
) -> str:
    attempt = row.attempts + 1
    error: TransportError | None
    if not row.recipients:
        error = TransportError("no recipient", permanent=True)
    else:
        try:
            transport.send(_outgoing(row))
            error = None
        except TransportError as raised:
            error = raised
        except InvalidToken:
            # Encrypted with another key (PROVISIONER_SECRET_KEY changed, var/ lost): never readable.
            error = TransportError("body encrypted with another secret key", permanent=True)
        except Exception as raised:  # a transport bug must not stop the queue
            error = TransportError(f"unexpected {type(raised).__name__}", permanent=False)

    values: dict[str, object] = {"attempts": attempt}
    next_attempt_at: datetime | None = None
    if error is None:
        outcome = "sent"
        values.update(status=MailStatus.SENT, sent_at=now, last_error=None)
    elif error.permanent or now - row.created_at >= give_up_after:
        outcome = "failed"
        reason = error.message if error.permanent else f"gave up after {attempt} attempts: {error.message}"
        values.update(status=MailStatus.FAILED, last_error=reason[:_ERROR_MAX])
    else:
        outcome = "retried"
        next_attempt_at = now + backoff(attempt)
        values.update(next_attempt_at=next_attempt_at, last_error=error.message[:_ERROR_MAX])
    if outcome != "retried" and row.kind in SECRET_KINDS:
        # The password has gone out (or never will): it must not stay in the database.
        values.update(body_text="", body_html=None)

    _log_attempt(row, attempt, outcome, next_attempt_at, error)
    try:
        with engine.begin() as conn:
            Mails(conn).set(row.id, **values)
    except Exception as failure:
        # The lease ends in CLAIM_LEASE and the message is tried again (a sent
        # one goes twice, with the same Message-ID).
        log.error(
            "mail message_id=%s kind=%s outcome=%s attempt=%d record_failed=%s",
            row.message_id, row.kind, outcome, attempt, _describe(failure),
        )
    return outcome


def _outgoing(row: QueuedMail) -> OutgoingMail:
    return OutgoingMail(
        message_id=row.message_id,
        kind=row.kind,
        recipients=tuple(row.recipients),
        subject=row.subject,
        text=readable_body(row.body_text) or "",
        html=readable_body(row.body_html),
        attachments=tuple(row.attachments or ()),
        created_at=row.created_at,
        headers=tuple((row.headers or {}).items()),
    )


def _log_attempt(
    row: QueuedMail, attempt: int, outcome: str, next_attempt_at: datetime | None, error: TransportError | None
) -> None:
    """One line per attempt: who and how it went; never the body."""
    fields = {"message_id": row.message_id, "kind": row.kind, "outcome": outcome, "attempt": attempt}
    line = "mail message_id=%s kind=%s outcome=%s attempt=%d"
    args: list[object] = [row.message_id, row.kind, outcome, attempt]
    if next_attempt_at is not None:  # retried
        line += " next_attempt_at=%s"
        args.append(next_attempt_at.isoformat())
        fields["next_attempt_at"] = next_attempt_at.isoformat()
    if error is not None:
        line += " error=%r"
        args.append(error.message)
        fields["error"] = error.message
    level = {"sent": logging.INFO, "retried": logging.WARNING, "failed": logging.ERROR}[outcome]
    log.log(level, line, *args, extra={"mail": fields})


def _describe(error: BaseException) -> str:
    # Engines hide SQL parameters (store.db) and URLs never reach messages;
    # the first line is enough to tell a network outage from a locked file.
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__
