"""The IMAP door's mails in the store (`tables.mail_receipts`): taken once, finished once.

`take` is the claim between instances: the row's primary key (folder, UIDVALIDITY, UID) lets exactly one
insert succeed. `finish` is a conditional update run in the transaction that queues the mail's reply: a
mail is finished once, whatever restarts in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from provisioner.domain.vocabulary import MailState
from provisioner.store.base import Repository, SomeRow
from provisioner.store.tables import mail_receipts


@dataclass(frozen=True)
class MailKey:
    """A mail as its mailbox names it; `reference` is how reports and logs name it."""

    folder: str
    uidvalidity: int
    uid: int

    @property
    def reference(self) -> str:
        return f"{self.folder}/{self.uidvalidity}/{self.uid}"

    @classmethod
    def parse(cls, reference: str) -> MailKey:
        folder, uidvalidity, uid = reference.rsplit("/", 2)
        return cls(folder, int(uidvalidity), int(uid))


@dataclass(frozen=True)
class Receipt:
    key: MailKey
    token: str
    state: MailState


_COLUMNS = (mail_receipts.c.folder, mail_receipts.c.uidvalidity, mail_receipts.c.uid, mail_receipts.c.token,
            mail_receipts.c.state)


class MailReceipts(Repository):
    def in_folder(self, folder: str, uidvalidity: int) -> dict[int, Receipt]:
        """The mails of `folder` under `uidvalidity` the service knows, by UID."""
        c = mail_receipts.c
        rows = self.conn.execute(select(*_COLUMNS).where(c.folder == folder, c.uidvalidity == uidvalidity))
        return {int(row.uid): _receipt(row) for row in rows}

    def by_digest(self, folder: str, digest: str) -> Receipt | None:
        """The same mail taken before under another UIDVALIDITY (the mailbox was rebuilt), if any."""
        c = mail_receipts.c
        row = self.conn.execute(select(*_COLUMNS).where(c.folder == folder, c.digest == digest)
                                .order_by(c.taken_at).limit(1)).first()
        return None if row is None else _receipt(row)

    def get(self, key: MailKey) -> Receipt | None:
        row = self.conn.execute(select(*_COLUMNS).where(_where(key))).first()
        return None if row is None else _receipt(row)

    def take(self, key: MailKey, *, digest: str, token: str, now: datetime) -> bool:
        """Record that this instance takes `key`; False when another one took it first.

        Run in a transaction of its own: on PostgreSQL a concurrent insert of the same key waits for the
        first one's commit, then fails.
        """
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(mail_receipts).values(
                    folder=key.folder, uidvalidity=key.uidvalidity, uid=key.uid, digest=digest, token=token,
                    state=MailState.IN_HAND, taken_at=now))
        except IntegrityError:
            return False
        return True

    def finish(self, key: MailKey, token: str, state: MailState, *, now: datetime) -> bool:
        """Mark the mail deposited as `token` finished, in the caller's transaction; False when it was
        already (or is not ours)."""
        c = mail_receipts.c
        done = self.conn.execute(update(mail_receipts).where(_where(key), c.token == token,
                                                             c.state == MailState.IN_HAND)
                                 .values(state=state, finished_at=now))
        return done.rowcount == 1


def _where(key: MailKey) -> ColumnElement[bool]:
    c = mail_receipts.c
    return and_(c.folder == key.folder, c.uidvalidity == key.uidvalidity, c.uid == key.uid)


def _receipt(row: SomeRow) -> Receipt:
    return Receipt(MailKey(str(row.folder), int(row.uidvalidity), int(row.uid)), str(row.token),
                   MailState(row.state))
