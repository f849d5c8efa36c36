"""Reverts: each change set (a submission, or a revert) is reverted at most once (`reverts.target` is unique)."""

from __future__ import annotations

from sqlalchemy import insert, select

from provisioner.store.base import Repository
from provisioner.store.tables import reverts


class Reverts(Repository):
    def add(self, **values: object) -> None:
        self.conn.execute(insert(reverts).values(**values))

    def of_target(self, target: str) -> str | None:
        """The id of the revert of `target`, if it was reverted."""
        return self.conn.execute(select(reverts.c.id).where(reverts.c.target == target)).scalar()

    def target_of(self, revert_id: str) -> str | None:
        """What revert `revert_id` undid (a submission's id, or an earlier revert's)."""
        return self.conn.execute(select(reverts.c.target).where(reverts.c.id == revert_id)).scalar()

    def exists(self, revert_id: str) -> bool:
        return self.conn.execute(select(reverts.c.id).where(reverts.c.id == revert_id)).first() is not None
