"""The journal of every action (`/journal`): who did what, when, on what, and why."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert

from provisioner.store.base import Repository
from provisioner.store.tables import audit


class Audit(Repository):
    def add(self, *, actor: str, numero: str | None, action: str, target: str | None,
            before: Mapping[str, object] | None = None, after: Mapping[str, object] | None = None,
            now: datetime) -> None:
        self.conn.execute(insert(audit).values(at=now, actor=actor, adherent_numero=numero, action=action,
                                               target=target, before=before, after=after))
