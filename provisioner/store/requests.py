"""Changes that wait for a signed letter (a new delegate, company details, a mass deactivation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update

from provisioner.store.base import Repository, inserted_id
from provisioner.store.tables import requests


class Requests(Repository):
    def add(self, *, adherent_id: int, submission_id: str | None, kind: str, payload: dict[str, Any],
            now: datetime) -> int:
        return inserted_id(self.conn.execute(insert(requests).values(
            adherent_id=adherent_id, submission_id=submission_id, kind=kind, payload=payload,
            status="waiting", created_at=now)))

    def get(self, request_id: int, *, for_update: bool = False) -> Row[Any] | None:
        query = select(requests).where(requests.c.id == request_id)
        if for_update and self.locks_rows:
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def payload(self, request_id: int) -> dict[str, Any]:
        return dict(self.conn.execute(select(requests.c.payload).where(requests.c.id == request_id)).scalar() or {})

    def decide(self, request_id: int, *, status: str, now: datetime, actor: str) -> None:
        self.conn.execute(update(requests).where(requests.c.id == request_id)
                          .values(status=status, decided_at=now, decided_by=actor))
