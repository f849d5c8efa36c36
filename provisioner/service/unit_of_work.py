"""One use case's transaction: `with UnitOfWork(ctx) as uow: ...; uow.commit()`.

The unit carries the store's repositories on its transaction (`uow.adherents.get(numero)`,
`uow.submissions.add(...)`, store/repositories.py): a use case never builds SQL itself. Its raw
connection (`uow.conn`) is for the read models, which keep their SELECTs.

Whatever was not committed when the block ends (an early return, an
exception, a refusal) is rolled back: a use case commits once, at the point
where everything it changes (rows, audit, history, queued emails) is written.
A read-only unit never writes and never commits; on SQLite it reads its
snapshot without waiting for the writer of the moment (`store.db.reader`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, RootTransaction, exc

from provisioner.service.context import ServiceContext
from provisioner.store.db import reader
from provisioner.store.repositories import Repositories

T = TypeVar("T")


class UnitOfWork(Repositories):
    def __init__(self, ctx: ServiceContext, *, read_only: bool = False) -> None:
        self._engine = reader(ctx.engine) if read_only else ctx.engine
        self.read_only = read_only
        self._conn: Connection | None = None
        self._transaction: RootTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        self._conn = self._engine.connect()
        try:
            self._transaction = self._conn.begin()
        except BaseException:
            self._conn.close()
            raise
        self.bind(self._conn)
        return self

    @property
    def conn(self) -> Connection:
        """The connection of this unit's transaction (only inside the `with` block)."""
        if self._conn is None or self._transaction is None or not self._transaction.is_active:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work does not commit")
        if self._transaction is None or not self._transaction.is_active:
            raise RuntimeError("the unit of work is not open")
        self._transaction.commit()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        assert self._conn is not None and self._transaction is not None
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self._conn.close()
            self._conn = self._transaction = None


def retrying_once(work: Callable[[], T]) -> T:
    """Run `work` (a whole unit of work) again once when a concurrent writer took a login first (a unique
    constraint): the second run judges against the store as that writer left it."""
    try:
        return work()
    except exc.IntegrityError:
        return work()
