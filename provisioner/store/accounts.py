"""Accounts: the planner's view of a company, and the writes of planned changes (secrets only as hashes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from provisioner.domain.keys import login_key
from provisioner.domain.plan_value import UserChange
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState, StoreView
from provisioner.store.adherents import Adherent, company_state
from provisioner.store.base import Repository, SomeRow, inserted_id
from provisioner.store.tables import account_categories, accounts, adherents, pending_users

SECRET_COLUMNS = ("password_hash", "answer1_hash", "answer2_hash", "answer3_hash")


class Accounts(Repository):
    def view(self, company: Adherent | None, logins: Iterable[str]) -> StoreView:
        """This company's accounts, and which of `logins` are taken anywhere else."""
        conn = self.conn
        keys = sorted({login_key(x) for x in logins if x})
        view = StoreView(company_state(company) if company is not None else None)
        if company is not None:
            rows = conn.execute(select(accounts).where(accounts.c.adherent_id == company.id)).all()
            cats: dict[int, set[str]] = {}
            if rows:
                for acc_id, cat in conn.execute(
                        select(account_categories.c.account_id, account_categories.c.category)
                        .join(accounts, accounts.c.id == account_categories.c.account_id)
                        .where(accounts.c.adherent_id == company.id)):
                    cats.setdefault(acc_id, set()).add(cat)
            for row in rows:
                view.accounts[row.login_key] = _account_state(row, frozenset(cats.get(row.id, ())))
        company_id = company.id if company is not None else -1
        for chunk in _chunks(keys, 500):
            for key, where in conn.execute(
                    select(accounts.c.login_key, adherents.c.numero)
                    .join(adherents, adherents.c.id == accounts.c.adherent_id)
                    .where(accounts.c.login_key.in_(chunk), accounts.c.adherent_id != company_id)):
                view.taken[key] = where
            for key, where in conn.execute(
                    select(pending_users.c.login_key, adherents.c.numero)
                    .join(adherents, adherents.c.id == pending_users.c.adherent_id)
                    .where(pending_users.c.login_key.in_(chunk), pending_users.c.adherent_id != company_id)):
                view.taken.setdefault(key, where)
        return view

    def taken_keys(self, keys: list[str]) -> set[str]:
        """Which of `keys` (login keys) an account already has, in any company."""
        if not keys:
            return set()
        return set(self.conn.execute(select(accounts.c.login_key).where(accounts.c.login_key.in_(keys))).scalars())

    def apply(self, adherent_id: int, change: UserChange, secrets: dict[str, str | None],
              now: datetime) -> int | None:
        """Write one planned change; `secrets` holds the hashes (password_hash, answerN_hash)."""
        if change.action == "create":
            values: dict[str, object] = {k: change.values.get(k) or None for k in ACCOUNT_FIELDS}
            values.update(
                adherent_id=adherent_id, teleservice=change.teleservice, login=change.login,
                login_key=change.key, status="active", ordonnateur=bool(change.ordonnateur),
                validateur=bool(change.validateur), created_at=now, updated_at=now, **secrets)
            if change.questions:
                values.update(question1=change.questions[0], question2=change.questions[1],
                              question3=change.questions[2])
            account_id = inserted_id(self.conn.execute(insert(accounts).values(**values)))
            self._set_categories(account_id, change.categories or frozenset())
            return account_id
        assert change.before is not None and change.before.id is not None
        account_id = change.before.id
        values = {}
        if change.action == "update":
            values.update({k: v or None for k, v in change.values.items()})  # a revert may clear a field
            if change.ordonnateur is not None:
                values["ordonnateur"] = change.ordonnateur
            if change.validateur is not None:
                values["validateur"] = change.validateur
            if change.questions:  # a revert may put back an account that had none
                values.update(question1=change.questions[0] or None, question2=change.questions[1] or None,
                              question3=change.questions[2] or None)
            values.update(secrets)
            if change.categories is not None:
                self._set_categories(account_id, change.categories)
        elif change.action == "disable":
            values["status"] = "disabled"
        elif change.action == "enable":
            values["status"] = "active"
        elif change.action == "reset_password":
            values.update(secrets)
        if values:
            values["updated_at"] = now
            self.conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))
        return account_id

    def secrets(self, account_id: int, columns: Iterable[str]) -> dict[str, str | None]:
        """An account's current hashes in `columns` (of SECRET_COLUMNS): for a revert, never shown."""
        wanted = [c for c in SECRET_COLUMNS if c in set(columns)]
        if not wanted:
            return {}
        row = self.conn.execute(select(*(accounts.c[c] for c in wanted)).where(accounts.c.id == account_id)).one()
        return dict(zip(wanted, row))

    def _set_categories(self, account_id: int, categories: frozenset[str]) -> None:
        self.conn.execute(delete(account_categories).where(account_categories.c.account_id == account_id))
        if categories:
            self.conn.execute(insert(account_categories),
                              [{"account_id": account_id, "category": c} for c in sorted(categories)])


def _account_state(row: SomeRow, categories: frozenset[str]) -> AccountState:
    return AccountState(
        row.teleservice, row.login, row.login_key, row.status,
        {k: getattr(row, k) or "" for k in ACCOUNT_FIELDS}, bool(row.ordonnateur), bool(row.validateur),
        categories, (row.question1 or "", row.question2 or "", row.question3 or ""), row.id)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
