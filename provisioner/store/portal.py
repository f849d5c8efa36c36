"""The portal's SQL: jetons (only their SHA-256 is stored) and fixed-window rate counters.

Both are shared by every portal on the same database, so a limit holds
behind a load balancer and a jeton opens its page on any instance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, exc, insert, null, select, update

from provisioner.store.tables import portal_counters, portal_tokens


@dataclass(frozen=True)
class Token:
    kind: str
    name: str
    content: bytes | None
    created_at: datetime
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def add_token(engine: Engine, token: str, *, kind: str, name: str, content: bytes | None, now: datetime,
              lifetime: timedelta) -> None:
    with engine.begin() as conn:
        conn.execute(delete(portal_tokens).where(portal_tokens.c.expires_at < now))  # what no page may open
        conn.execute(insert(portal_tokens).values(token_hash=digest(token), kind=kind, name=name[:255],
                                                  content=content, created_at=now, expires_at=now + lifetime))


def remove_token(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(portal_tokens).where(portal_tokens.c.token_hash == digest(token)))


def find_token(engine: Engine, token: str, kind: str, now: datetime, *, with_content: bool = False) -> Token | None:
    """The live jeton of this kind, or None (unknown, expired, malformed)."""
    if not 20 <= len(token) <= 100:
        return None
    content = portal_tokens.c.content if with_content else null()
    query = select(portal_tokens.c.kind, portal_tokens.c.name, content, portal_tokens.c.created_at,
                   portal_tokens.c.expires_at).where(portal_tokens.c.token_hash == digest(token),
                                                     portal_tokens.c.kind == kind,
                                                     portal_tokens.c.expires_at > now)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else Token(row[0], row[1], row[2], row[3], row[4])


def take_hit(engine: Engine, key: str, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one hit on `key` in the current window; False (and nothing counted) past `limit`.

    A conditional update, so that two portals counting at once never both
    take the last hit; the window's row is created by the first hit.
    """
    if limit <= 0:
        return False
    start = datetime.fromtimestamp(now.timestamp() // window.total_seconds() * window.total_seconds(), now.tzinfo)
    where = (portal_counters.c.key == key[:128], portal_counters.c.window_start == start)
    for _attempt in (1, 2):
        with engine.begin() as conn:
            taken = conn.execute(update(portal_counters).where(*where, portal_counters.c.hits < limit)
                                 .values(hits=portal_counters.c.hits + 1)).rowcount
            if taken:
                return True
            if conn.execute(select(portal_counters.c.hits).where(*where)).first() is not None:
                return False  # the window is full
        try:
            with engine.begin() as conn:
                conn.execute(delete(portal_counters).where(portal_counters.c.expires_at < now))
                conn.execute(insert(portal_counters).values(key=key[:128], window_start=start, hits=1,
                                                            expires_at=start + window))
            return True
        except exc.IntegrityError:
            continue  # another portal created the row first: count on it
    return False
