"""The mail outbox (`mail_queue`): rows written with the changes they tell about, claimed and sent later."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update

from provisioner.domain.vocabulary import MailStatus
from provisioner.mail.render import SECRET_KINDS
from provisioner.store.base import Repository, SomeRow
from provisioner.store.tables import mail_queue


class Mails(Repository):
    def add(self, **values: Any) -> None:
        self.conn.execute(insert(mail_queue).values(**values))

    def claim_due(self, now: datetime, lease: timedelta, *, secrets: bool = True) -> Row[Any] | None:
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
        return row if claimed == 1 else None

    def set(self, mail_id: int, **values: Any) -> None:
        self.conn.execute(update(mail_queue).where(mail_queue.c.id == mail_id).values(**values))

    def get(self, mail_id: int) -> SomeRow | None:
        """What deciding a retry needs: status, recipients, kind, last error (never the body)."""
        return self.conn.execute(select(mail_queue.c.status, mail_queue.c.recipients, mail_queue.c.kind,
                                        mail_queue.c.last_error).where(mail_queue.c.id == mail_id)).first()

    def requeue_failed(self, mail_id: int, now: datetime) -> None:
        """Due now again; guarded on the status, so two operators clicking at once queue it once."""
        self.conn.execute(update(mail_queue).where(mail_queue.c.id == mail_id, mail_queue.c.status == "failed")
                          .values(status="pending", next_attempt_at=now))
