"""The history of accounts and company settings: one row per change, with the hashes it replaced
(`previous_*`, for a revert to put back; they never leave the store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select

from provisioner.store.base import Repository
from provisioner.store.tables import history


class History(Repository):
    def add(self, **values: Any) -> None:
        self.conn.execute(insert(history).values(**values))

    def of_change_set(self, change_set: str) -> Sequence[Row[Any]]:
        """What a submission or a revert changed, in order."""
        return self.conn.execute(select(history).where(history.c.change_set == change_set)
                                 .order_by(history.c.id)).all()

    def since(self, adherent_id: int, after_id: int, *, outside: str) -> Sequence[Row[Any]]:
        """The company's changes after row `after_id` that are not part of the change set `outside`."""
        return self.conn.execute(
            select(history).where(history.c.adherent_id == adherent_id, history.c.id > after_id)
            .where((history.c.change_set != outside) | history.c.change_set.is_(None))
            .order_by(history.c.id)).all()
