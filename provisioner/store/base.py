"""What every repository shares: it works inside the caller's transaction, on that transaction's connection.

The unit of work (service/unit_of_work.py) opens the transaction and carries one repository per
aggregate (`uow.adherents`, `uow.submissions`, …); a repository never begins, commits or rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, CursorResult, Row, Select

# SQLAlchemy types a SELECT, its result and its rows by the tuple of their columns' types, and a column by
# its value's type. A query whose columns are chosen at run time (a page, a sort, an export, a row before
# it becomes a record) has no such static type: these aliases name that case once.
_Columns = tuple[Any, ...]
SomeRow = Row[*_Columns]
SomeResult = CursorResult[*_Columns]
SomeSelect = Select[*_Columns]
SomeColumn = ColumnElement[Any]


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def locks_rows(self) -> bool:
        """Whether `SELECT … FOR UPDATE` means something here (PostgreSQL; SQLite has one writer anyway)."""
        return self.conn.dialect.name == "postgresql"


def inserted_id(result: SomeResult) -> int:
    """The primary key of the one row an INSERT made (SQLAlchemy types it as optional)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("an INSERT returned no primary key")
    return int(key[0])
