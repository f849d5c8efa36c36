"""Signed-in browsers, kept in the store: the cookie carries a random token, the store only its SHA-256.

A session ends when its operator signs out, after `web_idle_minutes`
without a request, `web_session_hours` after sign-in however busy, or when
the operator is disabled or given a new password. Each session has its own
CSRF token, sent back in every form.

Behind HTTPS (secure cookies) the cookies carry the `__Host-` prefix: the
browser then takes them only when Secure, for this host alone and path `/`,
so a neighbour subdomain cannot plant or override them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.service.agence.operators import Operator
from provisioner.store.db import reader
from provisioner.store.operators import Sessions

COOKIE = "provisioner_session"
HOST_PREFIX = "__Host-"
# last_seen_at is written at most this often: not one write per page (SQLite has one writer), and
# often enough that the idle limit holds to the minute (a session is never ended 60 s early).
TOUCH_EVERY = timedelta(seconds=15)


def limits(settings: Settings) -> tuple[timedelta, timedelta]:
    """(idle, lifetime): how long a session may go unused, and how long it may live at all."""
    return timedelta(minutes=settings.web_idle_minutes), timedelta(hours=settings.web_session_hours)


def cookie_name(base: str, secure: bool) -> str:
    """`base`, with the `__Host-` prefix when the cookie is Secure (browsers refuse the prefix otherwise)."""
    return HOST_PREFIX + base if secure else base


@dataclass(frozen=True)
class Session:
    operator: Operator
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_session(engine: Engine, operator: Operator, now: datetime) -> tuple[str, Session]:
    """A new session for `operator`: (the cookie's token, the session)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        Sessions(conn).open(token_hash=_digest(token), operator_id=operator.id, csrf_token=csrf, now=now)
    return token, Session(operator, csrf)


def find_session(engine: Engine, token: str | None, now: datetime, idle: timedelta,
                 lifetime: timedelta) -> Session | None:
    """The live session of this cookie, or None (none, idle or too old, operator disabled)."""
    if not token or len(token) > 128:
        return None
    key = _digest(token)
    with reader(engine).connect() as conn:  # every page asks: it must not wait for the pipeline's writes
        row = Sessions(conn).find(key)
    if row is None:
        return None
    if not row.active or now - row.last_seen_at > idle or now - row.created_at > lifetime:
        close_session(engine, token)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        with engine.begin() as conn:
            Sessions(conn).touch(key, now)
    return Session(Operator(row.id, row.login, row.role), row.csrf_token)


def close_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        Sessions(conn).close(_digest(token))


def forget_idle(engine: Engine, now: datetime, idle: timedelta, lifetime: timedelta) -> None:
    """Remove sessions idle for longer than `idle` or older than `lifetime` (no cookie can use them)."""
    with engine.begin() as conn:
        Sessions(conn).forget_idle(now - idle, now - lifetime)
