"""The users of an Abonnement, waiting (with their hashes) for the Agence Virtuelle to validate it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import delete, func, insert, select

from provisioner.domain.plan_value import UserChange
from provisioner.domain.view import ACCOUNT_FIELDS
from provisioner.store.base import Repository
from provisioner.store.tables import adherents, pending_users


class PendingRecord(TypedDict):
    """What a waiting user's `record` column holds (`_pending_row` writes it): the account's public fields
    (domain.view.ACCOUNT_FIELDS, each as text, "" when empty), its powers, categories and questions."""

    civilite: str
    nom: str
    prenom: str
    fonction: str
    telephone: str
    fax: str
    gsm: str
    email: str
    mode: str
    prestataire: str
    ordonnateur: bool
    validateur: bool
    categories: list[str]
    questions: list[str]


@dataclass(frozen=True)
class PendingUser:
    id: int
    adherent_id: int
    submission_id: str
    teleservice: str
    login: str
    login_key: str
    record: PendingRecord
    password_hash: str | None  # None: generated at activation
    answer1_hash: str | None
    answer2_hash: str | None
    answer3_hash: str | None
    created_at: datetime


class PendingUsers(Repository):
    def add(self, adherent_id: int, submission_id: str, users: list[tuple[UserChange, dict[str, str | None]]],
            now: datetime) -> None:
        """Each change with its hashes.

        One INSERT for them all (executemany): one statement per user cost about
        0.25 ms of the service's CPU each.
        """
        if not users:
            return
        self.conn.execute(insert(pending_users), [_pending_row(adherent_id, submission_id, change, secrets, now)
                                                  for change, secrets in users])

    def of_company(self, adherent_id: int) -> list[PendingUser]:
        rows = self.conn.execute(select(pending_users).where(pending_users.c.adherent_id == adherent_id)
                                 .order_by(pending_users.c.id))
        return [PendingUser(r.id, r.adherent_id, r.submission_id, r.teleservice, r.login, r.login_key,
                            r.record, r.password_hash, r.answer1_hash, r.answer2_hash, r.answer3_hash,
                            r.created_at) for r in rows]

    def without_password(self, numero: str) -> int:
        """How many of company `numero`'s waiting users have no password of their own."""
        return int(self.conn.execute(
            select(func.count()).select_from(pending_users.join(adherents))
            .where(adherents.c.numero == numero, pending_users.c.password_hash.is_(None))).scalar_one())

    def remove_all(self, adherent_id: int) -> None:
        self.conn.execute(delete(pending_users).where(pending_users.c.adherent_id == adherent_id))


def _pending_row(adherent_id: int, submission_id: str, change: UserChange, secrets: dict[str, str | None],
                 now: datetime) -> dict[str, object]:
    record: dict[str, object] = {k: change.values.get(k, "") for k in ACCOUNT_FIELDS}
    record.update(ordonnateur=bool(change.ordonnateur), validateur=bool(change.validateur),
                  categories=sorted(change.categories or ()),
                  questions=list(change.questions) if change.questions else [])
    return dict(
        adherent_id=adherent_id, submission_id=submission_id, teleservice=change.teleservice,
        login=change.login, login_key=change.key, record=record, created_at=now,
        password_hash=secrets.get("password_hash"), answer1_hash=secrets.get("answer1_hash"),
        answer2_hash=secrets.get("answer2_hash"), answer3_hash=secrets.get("answer3_hash"))
