"""The back office's people: operators, their roles, and signing in.

Operators sign in to the web back office (`provisioner.web`). Their
passwords are argon2id hashes (security/hashing.py); failed sign-ins are
counted and locked with the same rules as companies' workbooks
(security/lockout.py, PROVISIONER_LOCK_AFTER / _LOCK_MINUTES). An unknown
login and a wrong password get one answer in the same time (a dummy hash is
verified). Every change to an operator is an audit row (actor: who did it).

Mistakes an admin can make are small exceptions whose docstring is the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import exc

from provisioner.domain.keys import login_key
from provisioner.security import lockout
from provisioner.security.hashing import DUMMY_HASH, hash_secret, verify_secret
from provisioner.service.agence.operator_commands import ACTOR, AgenceError
from provisioner.service.context import ServiceContext
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.operators import OperatorRecord
from provisioner.store.repositories import Repositories
from provisioner.store.tables import OPERATOR_ROLES
from provisioner.wording import agence

LOGIN = re.compile(r"[a-z0-9._-]{2,64}")
# Actors the audit already names: an operator called so would be mistaken for them.
SIGN_IN_ACTOR = "web"  # who records an operator's lock: no operator is signed in then
RESERVED = frozenset({ACTOR, SIGN_IN_ACTOR})
PASSWORD_MIN = 12
PASSWORD_MAX = 128


class OperatorError(AgenceError):
    """L'opération sur l'opérateur ne peut pas être exécutée."""


class BadOperatorLogin(OperatorError):
    """Login d'opérateur invalide : 2 à 64 caractères parmi lettres minuscules, chiffres, « . », « _ », « - »."""


class ReservedLogin(OperatorError):
    """Le login {login} est réservé (il désigne déjà, dans le journal, la ligne de commande ou le service)."""


class OperatorExists(OperatorError):
    """Un opérateur a déjà le login {login}."""


class UnknownOperator(OperatorError):
    """Aucun opérateur n'a le login {login}."""


class UnknownRole(OperatorError):
    """Rôle inconnu : {role} (lecture, validation ou admin)."""


class OwnAccount(OperatorError):
    """Vous ne pouvez pas {what} votre propre compte : un autre administrateur doit le faire."""


class LastAdmin(OperatorError):
    """{login} est le dernier administrateur actif : nommez d'abord un autre administrateur, sinon plus personne
    ne pourrait gérer les opérateurs."""


class WeakPassword(OperatorError):
    """Le mot de passe d'un opérateur doit compter de {shortest} à {longest} caractères."""


@dataclass(frozen=True)
class Operator:
    """A signed-in operator as the web sees it: never the hash."""

    id: int
    login: str
    role: str

    def can(self, role: str) -> bool:
        """True when this operator's role includes `role` (admin ⊃ validation ⊃ lecture)."""
        return OPERATOR_ROLES.index(self.role) >= OPERATOR_ROLES.index(role)


def normal_login(login: str) -> str:
    key = login_key(login.strip())
    if not LOGIN.fullmatch(key):
        raise BadOperatorLogin()
    if key in RESERVED or ":" in key:
        raise ReservedLogin(login=key)
    return key


def _check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise WeakPassword(shortest=PASSWORD_MIN, longest=PASSWORD_MAX)


def _check_role(role: str) -> None:
    if role not in OPERATOR_ROLES:
        raise UnknownRole(role=role)


def add_operator(ctx: ServiceContext, login: str, role: str, password: str, *, actor: str = ACTOR) -> Operator:
    """A new active operator."""
    key = normal_login(login)
    _check_role(role)
    _check_password(password)
    digest = hash_secret(password)  # before the transaction: hashing is slow
    now = ctx.clock()
    try:
        with UnitOfWork(ctx) as uow:
            new_id = uow.operators.add(login=key, password_hash=digest, role=role, now=now)
            uow.audit.add(actor=actor, numero=None, action="operator_add", target=f"operator:{key}",
                          after={"role": role}, now=now)
            uow.commit()
    except exc.IntegrityError:
        raise OperatorExists(login=key) from None
    return Operator(new_id, key, role)


class OperatorLine(TypedDict):
    login: str
    role: str
    active: bool
    failed_logins: int
    locked: bool
    created_at: datetime
    last_sign_in_at: datetime | None


def list_operators(ctx: ServiceContext) -> list[OperatorLine]:
    """Every operator: login, role, active, lock; never a hash."""
    now = ctx.clock()
    with UnitOfWork(ctx, read_only=True) as uow:
        return [{"login": r.login, "role": r.role, "active": r.active, "failed_logins": r.failed_logins,
                 "locked": lockout.is_locked(r.locked_until, now), "created_at": r.created_at,
                 "last_sign_in_at": r.last_sign_in_at}
                for r in uow.operators.listing()]


def _keep_an_admin(uow: Repositories, row: OperatorRecord, actor: str, what: str) -> None:
    """Refuse to take an admin's rights from themselves, or from the last active admin.

    The active admins are read FOR UPDATE: two admins demoting each other at
    once on PostgreSQL cannot both pass and leave none.
    """
    if row.login == actor:
        raise OwnAccount(what=what)
    if row.role != "admin" or not row.active:
        return
    admins = uow.operators.active_admins()
    if len(admins) <= 1:
        raise LastAdmin(login=row.login)


def disable_operator(ctx: ServiceContext, login: str, *, actor: str = ACTOR) -> None:
    """The operator can no longer sign in; their open sessions end now. Never oneself nor the last admin."""
    key = login_key(login.strip())
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        row = _operator(uow, key)
        _keep_an_admin(uow, row, actor, agence.DISABLE)
        uow.operators.set(row.id, active=False, updated_at=now)
        uow.sessions.close_all_of(row.id)
        uow.audit.add(actor=actor, numero=None, action="operator_disable", target=f"operator:{key}",
                      before={"active": row.active}, after={"active": False}, now=now)
        uow.commit()


def enable_operator(ctx: ServiceContext, login: str, *, actor: str = ACTOR) -> None:
    """A disabled operator may sign in again, with the password and role they had."""
    key = login_key(login.strip())
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        row = _operator(uow, key)
        if not row.active:
            uow.operators.set(row.id, active=True, updated_at=now)
            uow.audit.add(actor=actor, numero=None, action="operator_enable", target=f"operator:{key}",
                          before={"active": False}, after={"active": True}, now=now)
        uow.commit()


def change_role(ctx: ServiceContext, login: str, role: str, *, actor: str = ACTOR) -> None:
    """A new role, for the next page the operator opens. Never one's own, nor the last admin's demotion."""
    key = login_key(login.strip())
    _check_role(role)
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        row = _operator(uow, key)
        if row.role != role:
            if role != "admin":
                _keep_an_admin(uow, row, actor, agence.CHANGE_ROLE_OF)
            elif row.login == actor:
                raise OwnAccount(what=agence.CHANGE_ROLE_OF)
            uow.operators.set(row.id, role=role, updated_at=now)
            uow.audit.add(actor=actor, numero=None, action="operator_role", target=f"operator:{key}",
                          before={"role": row.role}, after={"role": role}, now=now)
        uow.commit()


def reset_operator_password(ctx: ServiceContext, login: str, password: str, *, actor: str = ACTOR) -> None:
    """A new password; the lock is lifted and the open sessions end (whoever held them must sign in again)."""
    key = login_key(login.strip())
    _check_password(password)
    digest = hash_secret(password)
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        row = _operator(uow, key)
        uow.operators.set(row.id, password_hash=digest, failed_logins=0, locked_until=None, updated_at=now)
        uow.sessions.close_all_of(row.id)
        uow.audit.add(actor=actor, numero=None, action="operator_password_reset",
                      target=f"operator:{key}", now=now)
        uow.commit()


def authenticate(ctx: ServiceContext, login: str, password: str) -> Operator | None:
    """The operator when the login and password are right, the operator active and not locked; else None.

    Whatever the reason for a refusal, the caller gets the same None after
    one argon2id verification: nobody learns which logins exist.
    """
    key = login_key(login.strip())[:64]
    now = ctx.clock()
    with UnitOfWork(ctx, read_only=True) as uow:
        row = uow.operators.by_login(key)
    if row is None or not row.active:
        verify_secret(DUMMY_HASH, password)
        return None
    if lockout.is_locked(row.locked_until, now):
        verify_secret(DUMMY_HASH, password)  # the same time as a wrong password
        return None
    if verify_secret(row.password_hash, password):
        _record(ctx, row.id, lockout.after_success(), now, signed_in=True)
        return Operator(row.id, row.login, row.role)
    after = _count_failure(ctx, row.id, now)
    if after.just_locked:
        with UnitOfWork(ctx) as uow:
            uow.audit.add(actor=SIGN_IN_ACTOR, numero=None, action="operator_locked",
                          target=f"operator:{key}", after={"failed_logins": after.failed_auth}, now=now)
            uow.commit()
    return None


def _record(ctx: ServiceContext, operator_id: int, state: lockout.LockState, now: datetime, *,
            signed_in: bool = False) -> None:
    values: dict[str, object] = {"failed_logins": state.failed_auth, "locked_until": state.locked_until,
                                 "updated_at": now}
    if signed_in:
        values["last_sign_in_at"] = now
    with UnitOfWork(ctx) as uow:
        uow.operators.set(operator_id, **values)
        uow.commit()


def _count_failure(ctx: ServiceContext, operator_id: int, now: datetime) -> lockout.AfterFailure:
    """One more failure, counted from the row as it is now, locked: wrong passwords tried in parallel each
    count (read before the slow verification, the counter lost all but one of them)."""
    with UnitOfWork(ctx) as uow:
        row = uow.operators.failures(operator_id, for_update=True)
        after = lockout.after_failure(row.failed_logins, row.locked_until, now,
                                      lock_after=ctx.settings.lock_after, lock_minutes=ctx.settings.lock_minutes)
        uow.operators.set(operator_id, failed_logins=after.failed_auth, locked_until=after.locked_until,
                          updated_at=now)
        uow.commit()
    return after


def _operator(uow: Repositories, key: str) -> OperatorRecord:
    row = uow.operators.by_login(key)
    if row is None:
        raise UnknownOperator(login=key)
    return row
