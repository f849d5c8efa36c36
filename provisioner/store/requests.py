"""Changes that wait for a signed letter (a new delegate, company details, a mass deactivation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import insert, select, update

from provisioner.domain.request_payload import RequestPayload
from provisioner.store.base import Repository, inserted_id
from provisioner.store.tables import requests


@dataclass(frozen=True)
class Request:
    id: int
    adherent_id: int
    submission_id: str | None
    kind: str  # RequestKind
    payload: RequestPayload
    status: str  # RequestStatus
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class Requests(Repository):
    def add(self, *, adherent_id: int, submission_id: str | None, kind: str, payload: RequestPayload,
            now: datetime) -> int:
        return inserted_id(self.conn.execute(insert(requests).values(
            adherent_id=adherent_id, submission_id=submission_id, kind=kind, payload=payload,
            status="waiting", created_at=now)))

    def get(self, request_id: int, *, for_update: bool = False) -> Request | None:
        query = select(requests).where(requests.c.id == request_id)
        if for_update and self.locks_rows:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else Request(row.id, row.adherent_id, row.submission_id, row.kind,
                                                payload_of(row.payload), row.status, row.created_at,
                                                row.decided_at, row.decided_by)

    def payload(self, request_id: int) -> RequestPayload:
        return payload_of(self.conn.execute(select(requests.c.payload).where(requests.c.id == request_id)).scalar())

    def decide(self, request_id: int, *, status: str, now: datetime, actor: str) -> None:
        self.conn.execute(update(requests).where(requests.c.id == request_id)
                          .values(status=status, decided_at=now, decided_by=actor))


def payload_of(stored: Mapping[str, object] | None) -> RequestPayload:
    """The `payload` column read back: JSON of the shape `add` was given (service.submission.apply writes it)."""
    return cast(RequestPayload, dict(stored or {}))
