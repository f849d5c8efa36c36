"""The back office's operators (never their hashes outside the store) and their sign-in sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update

from provisioner.store.base import Repository, SomeRow, inserted_id
from provisioner.store.tables import operator_sessions, operators


@dataclass(frozen=True)
class OperatorRecord:
    """An operator's row; its hash never leaves the service (security.hashing verifies it)."""

    id: int
    login: str
    password_hash: str
    role: str  # one of tables.OPERATOR_ROLES
    active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    updated_at: datetime
    last_sign_in_at: datetime | None


class Operators(Repository):
    def add(self, *, login: str, password_hash: str, role: str, now: datetime) -> int:
        return inserted_id(self.conn.execute(insert(operators).values(
            login=login, password_hash=password_hash, role=role, active=True, failed_logins=0,
            created_at=now, updated_at=now)))

    def by_login(self, login: str) -> OperatorRecord | None:
        r = self.conn.execute(select(operators).where(operators.c.login == login)).first()
        return None if r is None else OperatorRecord(r.id, r.login, r.password_hash, r.role, r.active,
                                                     r.failed_logins, r.locked_until, r.created_at, r.updated_at,
                                                     r.last_sign_in_at)

    def listing(self) -> Sequence[SomeRow]:
        """Every operator by login, without the hash."""
        return self.conn.execute(
            select(operators.c.login, operators.c.role, operators.c.active, operators.c.failed_logins,
                   operators.c.locked_until, operators.c.created_at, operators.c.last_sign_in_at)
            .order_by(operators.c.login)).all()

    def active_admins(self) -> Sequence[SomeRow]:
        """The active admins' ids, locked: two admins demoting each other at once cannot both pass."""
        query = select(operators.c.id).where(operators.c.role == "admin", operators.c.active.is_(True))
        return self.conn.execute(query.with_for_update() if self.locks_rows else query).all()

    def failures(self, operator_id: int, *, for_update: bool = False) -> SomeRow:
        """Its failed sign-ins and lock; `for_update`: locked, so that failures counted in parallel all count."""
        query = select(operators.c.failed_logins, operators.c.locked_until).where(operators.c.id == operator_id)
        return self.conn.execute(query.with_for_update() if for_update and self.locks_rows else query).one()

    def set(self, operator_id: int, **values: object) -> None:
        self.conn.execute(update(operators).where(operators.c.id == operator_id).values(**values))


class Sessions(Repository):
    """Keyed by the SHA-256 of the cookie's token: the token itself is never stored."""

    def open(self, *, token_hash: str, operator_id: int, csrf_token: str, now: datetime) -> None:
        self.conn.execute(insert(operator_sessions).values(token_hash=token_hash, operator_id=operator_id,
                                                           csrf_token=csrf_token, created_at=now, last_seen_at=now))

    def find(self, token_hash: str) -> SomeRow | None:
        """The session with its operator (id, login, role, active)."""
        return self.conn.execute(
            select(operator_sessions.c.csrf_token, operator_sessions.c.last_seen_at, operator_sessions.c.created_at,
                   operators.c.id, operators.c.login, operators.c.role, operators.c.active)
            .join(operators, operators.c.id == operator_sessions.c.operator_id)
            .where(operator_sessions.c.token_hash == token_hash)).first()

    def touch(self, token_hash: str, now: datetime) -> None:
        self.conn.execute(update(operator_sessions).where(operator_sessions.c.token_hash == token_hash)
                          .values(last_seen_at=now))

    def close(self, token_hash: str) -> None:
        self.conn.execute(delete(operator_sessions).where(operator_sessions.c.token_hash == token_hash))

    def close_all_of(self, operator_id: int) -> None:
        self.conn.execute(delete(operator_sessions).where(operator_sessions.c.operator_id == operator_id))

    def forget_idle(self, unused_since: datetime, opened_before: datetime) -> None:
        """Sessions unused since `unused_since` or opened before `opened_before`: no cookie can use them."""
        self.conn.execute(delete(operator_sessions).where(or_(operator_sessions.c.last_seen_at < unused_since,
                                                              operator_sessions.c.created_at < opened_before)))
