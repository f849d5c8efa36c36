"""Failed sign-ins to the back office per client address (web/throttle.py's limit), kept across processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select

from provisioner.store.base import Repository
from provisioner.store.tables import sign_in_failures


class SignInFailures(Repository):
    def count_since(self, address: str, since: datetime) -> int:
        query = select(func.count()).select_from(sign_in_failures).where(
            sign_in_failures.c.address == address, sign_in_failures.c.at > since)
        return int(self.conn.execute(query).scalar_one())

    def add(self, address: str, now: datetime, *, forget_before: datetime) -> None:
        """One more failure; failures older than `forget_before` are forgotten (every address's)."""
        self.conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at <= forget_before))
        self.conn.execute(insert(sign_in_failures).values(address=address, at=now))
