"""The history of accounts and company settings: one row per change, with the hashes it replaced
(`previous_*`, for a revert to put back; they never leave the store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from provisioner.domain.diff import FieldChange
from provisioner.domain.history_json import SettingBefore, StateJson
from provisioner.store.base import Repository, SomeRow
from provisioner.store.tables import history


@dataclass(frozen=True)
class HistoryEntry:
    """One change, as a revert reads it (`tables.history` says what each column holds)."""

    id: int
    at: datetime
    adherent_id: int
    account_id: int | None  # None: a company setting
    teleservice: str | None
    login: str | None
    action: str
    fields: list[FieldChange]
    before: StateJson | None  # an account's state before; None: it created the account (or a setting's row)
    setting_before: SettingBefore | None  # a setting's row: its value before
    origin: str
    change_set: str | None
    reference: str | None
    actor: str
    reason: str | None
    previous_password_hash: str | None
    previous_answer1_hash: str | None
    previous_answer2_hash: str | None
    previous_answer3_hash: str | None


class History(Repository):
    def add(self, **values: object) -> None:
        self.conn.execute(insert(history).values(**values))

    def of_change_set(self, change_set: str) -> list[HistoryEntry]:
        """What a submission or a revert changed, in order."""
        return _entries(self.conn.execute(select(history).where(history.c.change_set == change_set)
                                          .order_by(history.c.id)).all())

    def since(self, adherent_id: int, after_id: int, *, outside: str) -> list[HistoryEntry]:
        """The company's changes after row `after_id` that are not part of the change set `outside`."""
        return _entries(self.conn.execute(
            select(history).where(history.c.adherent_id == adherent_id, history.c.id > after_id)
            .where((history.c.change_set != outside) | history.c.change_set.is_(None))
            .order_by(history.c.id)).all())


def _entries(rows: Sequence[SomeRow]) -> list[HistoryEntry]:
    # `before` holds what service.agence.history wrote: state_json's for an account, a setting's value else.
    return [HistoryEntry(r.id, r.at, r.adherent_id, r.account_id, r.teleservice, r.login, r.action,
                         list(r.fields or []), r.before if r.account_id is not None else None,
                         r.before if r.account_id is None else None, r.origin, r.change_set, r.reference, r.actor,
                         r.reason, r.previous_password_hash, r.previous_answer1_hash, r.previous_answer2_hash,
                         r.previous_answer3_hash) for r in rows]
