"""Failed sign-ins per client address: past `web_signin_per_ip` in 15 minutes, the address waits (429).

Each operator's own lock (5 failures in a row) stops guessing one
password, but lets anyone lock every operator out, and each try costs an
argon2id check. This limit counts failures per address, in the store (it
holds across processes and restarts), before any password is checked.

The address is the TCP peer's; a proxy in front of the back office hides
the client's behind its own, so `X-Forwarded-For` is read only when the
peer is one of `web_trusted_proxy`: otherwise anyone could name any
address and never be counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from ipaddress import ip_address

from sqlalchemy import Engine
from starlette.requests import Request

from provisioner.config import Settings
from provisioner.store.db import reader
from provisioner.store.sign_in_failures import SignInFailures

WINDOW = timedelta(minutes=15)
UNKNOWN = "unknown"


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the peer's, or, from a trusted proxy, the last one the proxy added."""
    peer = request.client.host if request.client else UNKNOWN
    trusted = {p.strip() for p in settings.web_trusted_proxy.split(",") if p.strip()}
    if peer in trusted:
        forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
        if forwarded and _is_address(forwarded[-1]):
            return forwarded[-1]
    return peer[:64]


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def too_many(engine: Engine, address: str, now: datetime, limit: int) -> bool:
    """True when `address` has failed `limit` times in the window: it may not try again yet."""
    with reader(engine).connect() as conn:
        return SignInFailures(conn).count_since(address, now - WINDOW) >= limit


def record_failure(engine: Engine, address: str, now: datetime) -> None:
    """One more failure for `address`; failures past the window are forgotten (every address's)."""
    with engine.begin() as conn:
        SignInFailures(conn).add(address, now, forget_before=now - WINDOW)
