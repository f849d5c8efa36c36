"""What every repository shares: it works inside the caller's transaction, on that transaction's connection.

The unit of work (service/unit_of_work.py) opens the transaction and carries one repository per
aggregate (`uow.adherents`, `uow.submissions`, …); a repository never begins, commits or rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, CursorResult, Row

# A row of any columns: what a SELECT of chosen columns (not a whole table) returns.
SomeRow = Row[*tuple[Any, ...]]


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def locks_rows(self) -> bool:
        """Whether `SELECT … FOR UPDATE` means something here (PostgreSQL; SQLite has one writer anyway)."""
        return self.conn.dialect.name == "postgresql"


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the one row an INSERT made (SQLAlchemy types it as optional)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("an INSERT returned no primary key")
    return int(key[0])
