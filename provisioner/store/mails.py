"""The mail outbox (`mail_queue`): rows written with the changes they tell about, claimed and sent later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from provisioner.domain.vocabulary import MailStatus
from provisioner.mail.render import SECRET_KINDS
from provisioner.store.base import Repository, SomeRow
from provisioner.store.tables import mail_queue


@dataclass(frozen=True)
class QueuedMail:
    """A message of the outbox, as the sender takes it (`tables.mail_queue` says what each column holds)."""

    id: int
    message_id: str
    kind: str
    recipients: list[str]
    subject: str
    body_text: str  # encrypted for the kinds that carry a password (mail.queue)
    body_html: str | None
    attachments: list[str]
    status: str  # MailStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    submission_id: str | None
    headers: dict[str, str] | None


class Mails(Repository):
    def add(self, **values: object) -> None:
        self.conn.execute(insert(mail_queue).values(**values))

    def claim_due(self, now: datetime, lease: timedelta, *, secrets: bool = True) -> QueuedMail | None:
        """The next message due at `now`, leased for `lease`; None when none is due or another took it.
        `secrets=False`: never one that carries a generated password (no transport may hold it in clear).

        On PostgreSQL the candidate is selected `FOR UPDATE SKIP LOCKED`; the
        claim is a conditional update either way.
        """
        due = (mail_queue.c.status == MailStatus.PENDING) & (mail_queue.c.next_attempt_at <= now)
        if not secrets:
            due &= mail_queue.c.kind.not_in(SECRET_KINDS)
        query = select(mail_queue).where(due).order_by(mail_queue.c.next_attempt_at, mail_queue.c.id).limit(1)
        if self.locks_rows:
            query = query.with_for_update(skip_locked=True)
        row = self.conn.execute(query).first()
        if row is None:
            return None
        # Conditional: only a row still pending and due is taken.
        claimed = self.conn.execute(update(mail_queue).where(mail_queue.c.id == row.id, due)
                                    .values(next_attempt_at=now + lease)).rowcount
        if claimed != 1:
            return None
        return QueuedMail(row.id, row.message_id, row.kind, list(row.recipients or []), row.subject, row.body_text,
                          row.body_html, list(row.attachments or []), row.status, row.attempts, row.next_attempt_at,
                          row.last_error, row.created_at, row.sent_at, row.submission_id, row.headers)

    def set(self, mail_id: int, **values: object) -> None:
        self.conn.execute(update(mail_queue).where(mail_queue.c.id == mail_id).values(**values))

    def get(self, mail_id: int) -> SomeRow | None:
        """What deciding a retry needs: status, recipients, kind, last error (never the body)."""
        return self.conn.execute(select(mail_queue.c.status, mail_queue.c.recipients, mail_queue.c.kind,
                                        mail_queue.c.last_error).where(mail_queue.c.id == mail_id)).first()

    def requeue_failed(self, mail_id: int, now: datetime) -> None:
        """Due now again; guarded on the status, so two operators clicking at once queue it once."""
        self.conn.execute(update(mail_queue).where(mail_queue.c.id == mail_id, mail_queue.c.status == "failed")
                          .values(status="pending", next_attempt_at=now))
