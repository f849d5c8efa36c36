"""Requests waiting for (or given) the Agence Virtuelle's decision, as they may be shown: without hashes."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import Connection, func, select

from provisioner.domain.vocabulary import RequestStatus
from provisioner.service.agence.request_summary import PublicPayload, public_payload
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.errors import UnknownStatus
from provisioner.service.read_models.timing import hours
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeRow
from provisioner.store.requests import payload_of
from provisioner.store.tables import REQUEST_STATUSES, adherents, requests


class RequestSummary(TypedDict):
    id: int
    numero: str
    raison_sociale: str | None
    kind: str
    status: str
    submission_id: str | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    payload: PublicPayload  # a held plan shows as its list of changes


class WaitingRequest(TypedDict):
    id: int
    numero: str
    kind: str
    since: datetime
    age_hours: float


def list_requests(ctx: ServiceContext, status: str | None = RequestStatus.WAITING) -> list[RequestSummary]:
    """Requests of one status (waiting by default; None for all), oldest first, without hashes."""
    if status is not None and status not in REQUEST_STATUSES:
        raise UnknownStatus(value=status)
    with UnitOfWork(ctx, read_only=True) as uow:
        return request_rows(uow.conn, status)


def request_rows(conn: Connection, status: str | None, limit: int | None = None) -> list[RequestSummary]:
    """The first `limit` requests (all when None) of one status, oldest first."""
    query = (select(requests, adherents.c.numero, adherents.c.raison_sociale)
             .join(adherents, adherents.c.id == requests.c.adherent_id).order_by(requests.c.id).limit(limit))
    if status is not None:
        query = query.where(requests.c.status == status)
    return [_summary(row) for row in conn.execute(query)]


def count_requests(conn: Connection, status: str) -> int:
    return int(conn.execute(select(func.count()).where(requests.c.status == status)).scalar_one())


def _summary(row: SomeRow) -> RequestSummary:
    return {"id": row.id, "numero": row.numero, "raison_sociale": row.raison_sociale, "kind": row.kind,
            "status": row.status, "submission_id": row.submission_id, "created_at": row.created_at,
            "decided_at": row.decided_at, "decided_by": row.decided_by,
            "payload": public_payload(payload_of(row.payload))}


def requests_waiting(conn: Connection, now: datetime) -> list[WaitingRequest]:
    """Every waiting request, briefly, with how long it has waited (the CLI's status)."""
    query = (select(requests.c.id, requests.c.kind, requests.c.created_at, adherents.c.numero)
             .join(adherents, adherents.c.id == requests.c.adherent_id)
             .where(requests.c.status == RequestStatus.WAITING).order_by(requests.c.id))
    return [{"id": r.id, "numero": r.numero, "kind": r.kind, "since": r.created_at,
             "age_hours": hours(now - r.created_at)} for r in conn.execute(query)]
