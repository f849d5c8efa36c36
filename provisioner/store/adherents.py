"""Companies (adhérents): found by number or id, created by an Abonnement, their columns set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from provisioner.domain.view import CompanyState
from provisioner.store.base import Repository, SomeRow, inserted_id
from provisioner.store.tables import adherents


@dataclass(frozen=True)
class Adherent:
    """A company's row. `company` and `delegue` hold the keys of vocabulary.ADHERENT_DETAIL_KEYS and
    DELEGUE_DETAIL_KEYS."""

    id: int
    numero: str
    raison_sociale: str | None
    status: str  # AdherentStatus
    company: dict[str, str]
    delegue: dict[str, str]
    notification_email: str | None
    admin_password_hash: str
    confirmations: int
    failed_auth: int
    locked_until: datetime | None
    created_at: datetime
    activated_at: datetime | None
    updated_at: datetime


class Adherents(Repository):
    def get(self, numero: str, *, for_update: bool = False) -> Adherent | None:
        query = select(adherents).where(adherents.c.numero == numero)
        if for_update and self.locks_rows:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else adherent(row)

    def by_id(self, adherent_id: int, *, for_update: bool = False) -> Adherent:
        query = select(adherents).where(adherents.c.id == adherent_id)
        if for_update and self.locks_rows:
            query = query.with_for_update()
        return adherent(self.conn.execute(query).one())

    def create(self, *, numero: str, raison_sociale: str, company: dict[str, str], delegue: dict[str, str],
               notification_email: str | None, admin_password_hash: str, confirmations: int,
               now: datetime) -> int:
        return inserted_id(self.conn.execute(insert(adherents).values(
            numero=numero, raison_sociale=raison_sociale or None, status="pending", company=company,
            delegue=delegue, notification_email=notification_email, admin_password_hash=admin_password_hash,
            confirmations=confirmations, created_at=now, updated_at=now)))

    def set(self, adherent_id: int, **values: object) -> None:
        self.conn.execute(update(adherents).where(adherents.c.id == adherent_id).values(**values))


def adherent(row: SomeRow) -> Adherent:
    """The record of a whole `adherents` row."""
    return Adherent(row.id, row.numero, row.raison_sociale, row.status, dict(row.company or {}),
                    dict(row.delegue or {}), row.notification_email, row.admin_password_hash, row.confirmations,
                    row.failed_auth, row.locked_until, row.created_at, row.activated_at, row.updated_at)


def company_state(row: Adherent) -> CompanyState:
    return CompanyState(row.numero, row.status, row.confirmations, dict(row.company),
                        dict(row.delegue), row.notification_email, row.id)
