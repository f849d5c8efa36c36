"""Companies (adhérents): found by number or id, created by an Abonnement, their columns set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update

from provisioner.domain.view import CompanyState
from provisioner.store.base import Repository, inserted_id
from provisioner.store.tables import adherents


class Adherents(Repository):
    def get(self, numero: str, *, for_update: bool = False) -> Row[Any] | None:
        query = select(adherents).where(adherents.c.numero == numero)
        if for_update and self.locks_rows:
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def by_id(self, adherent_id: int, *, for_update: bool = False) -> Row[Any]:
        query = select(adherents).where(adherents.c.id == adherent_id)
        if for_update and self.locks_rows:
            query = query.with_for_update()
        return self.conn.execute(query).one()

    def create(self, *, numero: str, raison_sociale: str, company: dict[str, str], delegue: dict[str, str],
               notification_email: str | None, admin_password_hash: str, confirmations: int,
               now: datetime) -> int:
        return inserted_id(self.conn.execute(insert(adherents).values(
            numero=numero, raison_sociale=raison_sociale or None, status="pending", company=company,
            delegue=delegue, notification_email=notification_email, admin_password_hash=admin_password_hash,
            confirmations=confirmations, created_at=now, updated_at=now)))

    def set(self, adherent_id: int, **values: Any) -> None:
        self.conn.execute(update(adherents).where(adherents.c.id == adherent_id).values(**values))


def company_state(row: Row[Any]) -> CompanyState:
    return CompanyState(row.numero, row.status, row.confirmations, dict(row.company or {}),
                        dict(row.delegue or {}), row.notification_email, row.id)
