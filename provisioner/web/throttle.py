"""Failed sign-ins per client address: past `web_signin_per_ip` in 15 minutes, the address waits (429).

Each operator's own lock (5 failures in a row) stops guessing one
password, but lets anyone lock every operator out, and each try costs an
argon2id check. This limit counts failures per address, in the store (it
holds across processes and restarts), before any password is checked.

The address is the TCP peer's; a proxy in front of the back office hides
the client's behind its own, so `X-Forwarded-For` is read only when the
peer is within `web_trusted_proxy` (web.client_address, the portal's rule):
otherwise anyone could name any address and never be counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from provisioner.store.db import reader
from provisioner.store.sign_in_failures import SignInFailures

WINDOW = timedelta(minutes=15)


def too_many(engine: Engine, address: str, now: datetime, limit: int) -> bool:
    """True when `address` has failed `limit` times in the window: it may not try again yet."""
    with reader(engine).connect() as conn:
        return SignInFailures(conn).count_since(address, now - WINDOW) >= limit


def record_failure(engine: Engine, address: str, now: datetime) -> None:
    """One more failure for `address`; failures past the window are forgotten (every address's)."""
    with engine.begin() as conn:
        SignInFailures(conn).add(address, now, forget_before=now - WINDOW)
