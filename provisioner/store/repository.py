"""Reading and writing companies and accounts, inside the caller's transaction.

Every function takes a SQLAlchemy Connection already in a transaction: the
pipeline decides where the transaction starts and ends (one per workbook).
Secrets arrive here only as hashes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, Row, delete, insert, select, update

from provisioner.domain.keys import login_key
from provisioner.domain.plan_value import UserChange
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState, CompanyState, StoreView
from provisioner.store.tables import (
    ERROR_CODE_LENGTH,
    account_categories,
    accounts,
    adherents,
    audit,
    pending_users,
    requests,
    submission_errors,
    submission_origins,
    submissions,
)

# -- companies ------------------------------------------------------------------

def find_adherent(conn: Connection, numero: str, *, for_update: bool = False) -> Row[Any] | None:
    query = select(adherents).where(adherents.c.numero == numero)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def company_state(row: Row[Any]) -> CompanyState:
    return CompanyState(row.numero, row.status, row.confirmations, dict(row.company or {}),
                        dict(row.delegue or {}), row.notification_email, row.id)


def create_adherent(conn: Connection, *, numero: str, raison_sociale: str, company: dict[str, str],
                    delegue: dict[str, str], notification_email: str | None, admin_password_hash: str,
                    confirmations: int, now: datetime) -> int:
    result = conn.execute(insert(adherents).values(
        numero=numero, raison_sociale=raison_sociale or None, status="pending", company=company,
        delegue=delegue, notification_email=notification_email, admin_password_hash=admin_password_hash,
        confirmations=confirmations, created_at=now, updated_at=now))
    return _inserted_id(result)


def set_adherent(conn: Connection, adherent_id: int, **values: Any) -> None:
    conn.execute(update(adherents).where(adherents.c.id == adherent_id).values(**values))


# -- the planner's view -----------------------------------------------------------

def load_view(conn: Connection, company: Row[Any] | None, logins: Iterable[str]) -> StoreView:
    """This company's accounts, and which of `logins` are taken anywhere else."""
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


def _account_state(row: Row[Any], categories: frozenset[str]) -> AccountState:
    return AccountState(
        row.teleservice, row.login, row.login_key, row.status,
        {k: getattr(row, k) or "" for k in ACCOUNT_FIELDS}, bool(row.ordonnateur), bool(row.validateur),
        categories, (row.question1 or "", row.question2 or "", row.question3 or ""), row.id)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- accounts ---------------------------------------------------------------------

def apply_change(conn: Connection, adherent_id: int, change: UserChange, secrets: dict[str, str | None],
                 now: datetime) -> int | None:
    """Write one planned change; `secrets` holds the hashes (password_hash, answerN_hash)."""
    if change.action == "create":
        values: dict[str, Any] = {k: change.values.get(k) or None for k in ACCOUNT_FIELDS}
        values.update(
            adherent_id=adherent_id, teleservice=change.teleservice, login=change.login,
            login_key=change.key, status="active", ordonnateur=bool(change.ordonnateur),
            validateur=bool(change.validateur), created_at=now, updated_at=now, **secrets)
        if change.questions:
            values.update(question1=change.questions[0], question2=change.questions[1],
                          question3=change.questions[2])
        account_id = _inserted_id(conn.execute(insert(accounts).values(**values)))
        _set_categories(conn, account_id, change.categories or frozenset())
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
            _set_categories(conn, account_id, change.categories)
    elif change.action == "disable":
        values["status"] = "disabled"
    elif change.action == "enable":
        values["status"] = "active"
    elif change.action == "reset_password":
        values.update(secrets)
    if values:
        values["updated_at"] = now
        conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))
    return account_id


def account_secrets(conn: Connection, account_id: int, columns: Iterable[str]) -> dict[str, str | None]:
    """An account's current hashes in `columns` (of password_hash, answerN_hash): for a revert, never shown."""
    wanted = [c for c in ("password_hash", "answer1_hash", "answer2_hash", "answer3_hash") if c in set(columns)]
    if not wanted:
        return {}
    row = conn.execute(select(*(accounts.c[c] for c in wanted)).where(accounts.c.id == account_id)).one()
    return dict(zip(wanted, row))


def _set_categories(conn: Connection, account_id: int, categories: frozenset[str]) -> None:
    conn.execute(delete(account_categories).where(account_categories.c.account_id == account_id))
    if categories:
        conn.execute(insert(account_categories),
                     [{"account_id": account_id, "category": c} for c in sorted(categories)])


def add_pending_users(conn: Connection, adherent_id: int, submission_id: str,
                      users: list[tuple[UserChange, dict[str, str | None]]], now: datetime) -> None:
    """The users of an Abonnement, waiting for its validation: each change with its hashes.

    One INSERT for them all (executemany): one statement per user cost about
    0.25 ms of the service's CPU each.
    """
    if not users:
        return
    conn.execute(insert(pending_users), [_pending_row(adherent_id, submission_id, change, secrets, now)
                                         for change, secrets in users])


def _pending_row(adherent_id: int, submission_id: str, change: UserChange, secrets: dict[str, str | None],
                 now: datetime) -> dict[str, Any]:
    record: dict[str, Any] = {k: change.values.get(k, "") for k in ACCOUNT_FIELDS}
    record.update(ordonnateur=bool(change.ordonnateur), validateur=bool(change.validateur),
                  categories=sorted(change.categories or ()),
                  questions=list(change.questions) if change.questions else [])
    return dict(
        adherent_id=adherent_id, submission_id=submission_id, teleservice=change.teleservice,
        login=change.login, login_key=change.key, record=record, created_at=now,
        password_hash=secrets.get("password_hash"), answer1_hash=secrets.get("answer1_hash"),
        answer2_hash=secrets.get("answer2_hash"), answer3_hash=secrets.get("answer3_hash"))


# -- submissions, requests, audit ----------------------------------------------------

def find_submission(conn: Connection, sha256: str) -> Row[Any] | None:
    return conn.execute(select(submissions).where(submissions.c.sha256 == sha256)).first()


def insert_origin(conn: Connection, submission_id: str, door: str, reference: str, at: datetime) -> None:
    """Which door a submission (or a duplicate) came through: written in its own transaction."""
    conn.execute(insert(submission_origins).values(submission_id=submission_id, door=door, reference=reference,
                                                   recorded_at=at))


def submissions_by_origin(conn: Connection, door: str, reference: str) -> list[str]:
    """The submissions (duplicates included) that came through `door` under `reference`, oldest first."""
    rows = conn.execute(select(submission_origins.c.submission_id)
                        .where(submission_origins.c.door == door, submission_origins.c.reference == reference)
                        .order_by(submission_origins.c.recorded_at, submission_origins.c.submission_id))
    return [str(row.submission_id) for row in rows]


def insert_submission(conn: Connection, **values: Any) -> None:
    """The submission, and the error codes of its report (what the dashboard ranks)."""
    conn.execute(insert(submissions).values(**values))
    rows = error_code_rows(values["id"], values.get("report"))
    if rows:
        conn.execute(insert(submission_errors), rows)


def error_code_rows(submission_id: str, report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The `submission_errors` rows of a report: each error code once, with how often it occurs."""
    found = (report or {}).get("errors")
    if not isinstance(found, list):
        return []
    codes = Counter(str(e.get("code"))[:ERROR_CODE_LENGTH] for e in found if isinstance(e, dict))
    return [{"submission_id": submission_id, "code": code, "occurrences": count} for code, count in codes.items()]


def add_request(conn: Connection, *, adherent_id: int, submission_id: str | None, kind: str,
                payload: dict[str, Any], now: datetime) -> int:
    result = conn.execute(insert(requests).values(
        adherent_id=adherent_id, submission_id=submission_id, kind=kind, payload=payload,
        status="waiting", created_at=now))
    return _inserted_id(result)


def add_audit(conn: Connection, *, actor: str, numero: str | None, action: str, target: str | None,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
              now: datetime) -> None:
    conn.execute(insert(audit).values(at=now, actor=actor, adherent_numero=numero, action=action,
                                      target=target, before=before, after=after))


def _inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the one row an INSERT made (SQLAlchemy types it as optional)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("an INSERT returned no primary key")
    return int(key[0])
