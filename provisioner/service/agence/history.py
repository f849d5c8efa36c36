"""The history of accounts and company settings: written with each change, read by people and by reverts.

Every change is recorded in the transaction that makes it (account_writes.write_change
for accounts, record_setting for company settings), with its origin: a
submission (its id and file name), a subscription's validation, an approved
request, an operator's action or a revert. What people read (`fields`,
`before`) never holds a secret or a hash; the hashes a change replaced are
kept in their own columns for a revert to put back, and never leave the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select

from provisioner.domain.diff import FieldChange
from provisioner.domain.history_json import SettingBefore, state_json
from provisioner.domain.keys import login_key
from provisioner.domain.view import AccountState
from provisioner.service.context import ServiceContext
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.accounts import SECRET_COLUMNS
from provisioner.store.base import SomeRow
from provisioner.store.repositories import Repositories
from provisioner.store.tables import accounts, adherents, history
from provisioner.wording.labels import ORIGIN, label


@dataclass(frozen=True)
class Origin:
    """Where a change comes from, as its history row tells it."""

    kind: str  # one of tables.HISTORY_ORIGINS
    actor: str  # submission:ID, agence, an operator's name
    change_set: str | None = None  # the submission or revert a revert would undo
    reference: str | None = None  # the file name, "demande 12"…
    reason: str | None = None


class UnknownLogin(Exception):
    """Aucun compte n'a le login « {login} »."""

    def __init__(self, login: str) -> None:
        super().__init__(" ".join((self.__doc__ or "").split()).format(login=login))


# -- writing --------------------------------------------------------------------------

def record_account(uow: Repositories, *, adherent_id: int, account_id: int, teleservice: str, login: str,
                   action: str, fields: list[FieldChange], before: AccountState | None, origin: Origin,
                   now: datetime, previous: dict[str, str | None] | None = None) -> None:
    """One account change; `previous` holds the hashes it replaced (only those it replaced)."""
    uow.history.add(
        at=now, adherent_id=adherent_id, account_id=account_id, teleservice=teleservice, login=login,
        action=action, fields=fields, before=state_json(before) if before is not None else None,
        **_origin(origin), **{f"previous_{k}": v for k, v in (previous or {}).items() if k in SECRET_COLUMNS})


def record_setting(uow: Repositories, *, adherent_id: int, action: str, fields: list[FieldChange],
                   before: SettingBefore, origin: Origin, now: datetime,
                   previous_password_hash: str | None = None) -> None:
    """One company setting changed (confirmations, admin_password)."""
    uow.history.add(
        at=now, adherent_id=adherent_id, action=action, fields=fields, before=before,
        previous_password_hash=previous_password_hash, **_origin(origin))


def _origin(origin: Origin) -> dict[str, str | None]:
    return {"origin": origin.kind, "actor": origin.actor[:64], "change_set": origin.change_set,
            "reference": origin.reference, "reason": origin.reason}


# -- reading ----------------------------------------------------------------------------

class HistoryLine(TypedDict):
    """One recorded change as people may see it: never a previous hash."""

    id: int
    at: datetime
    action: str  # ChangeAction, or a setting's key
    teleservice: str | None
    login: str | None
    fields: list[FieldChange]
    origin: str
    origin_label: str
    change_set: str | None
    reference: str | None
    actor: str
    reason: str | None


class AccountHistory(TypedDict):
    login: str
    teleservice: str
    status: str  # AccountStatus
    adherent: str
    changes: list[HistoryLine]


def account_history(ctx: ServiceContext, login: str) -> AccountHistory:
    """Every change of the account `login`, oldest first: time, action, fields, origin; never a secret."""
    with UnitOfWork(ctx, read_only=True) as uow:
        account = uow.conn.execute(
            select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status, adherents.c.numero)
            .join(adherents, adherents.c.id == accounts.c.adherent_id)
            .where(accounts.c.login_key == login_key(login))).first()
        if account is None:
            raise UnknownLogin(login)
        rows = uow.conn.execute(select(*PUBLIC_COLUMNS).where(history.c.account_id == account.id)
                                .order_by(history.c.id)).all()
    return {"login": account.login, "teleservice": account.teleservice, "status": account.status,
            "adherent": account.numero, "changes": [public_row(r) for r in rows]}


def company_history(ctx: ServiceContext, numero: str, limit: int = 500) -> list[HistoryLine]:
    """A company's changes (its accounts and its settings), newest first: for the company's page."""
    with UnitOfWork(ctx, read_only=True) as uow:
        rows = uow.conn.execute(select(*PUBLIC_COLUMNS).join(adherents, adherents.c.id == history.c.adherent_id)
                                .where(adherents.c.numero == numero)
                                .order_by(history.c.id.desc()).limit(limit)).all()
    return [public_row(r) for r in rows]


# The columns people may see: never previous_* (hashes).
PUBLIC_COLUMNS = (history.c.id, history.c.at, history.c.teleservice, history.c.login, history.c.action,
                  history.c.fields, history.c.origin, history.c.change_set, history.c.reference,
                  history.c.actor, history.c.reason)


def public_row(row: SomeRow) -> HistoryLine:
    return {"id": row.id, "at": row.at, "action": row.action, "teleservice": row.teleservice,
            "login": row.login, "fields": list(row.fields or []), "origin": row.origin,
            "origin_label": label(ORIGIN, row.origin), "change_set": row.change_set,
            "reference": row.reference, "actor": row.actor, "reason": row.reason}
