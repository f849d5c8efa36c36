"""Every row of a list, for its CSV export: read in chunks by key (keyset), each chunk its own transaction.

A list of 200,000 accounts is never held in memory nor read with OFFSET:
each chunk starts after the last key of the one before, through the index
that orders the list.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar, cast

from sqlalchemy import tuple_

from provisioner.service.context import ServiceContext
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeColumn, SomeSelect

CHUNK = 2_000

R = TypeVar("R")


def in_chunks(ctx: ServiceContext, query: SomeSelect, keys: Sequence[SomeColumn], shape: type[R], *,
              descending: bool = False, chunk: int = CHUNK) -> Iterator[R]:
    """Each row of `query` ordered by `keys` (which together are unique), as `shape`: the TypedDict its
    columns make."""
    order = [k.desc() for k in keys] if descending else list(keys)
    last: tuple[object, ...] | None = None
    while True:
        page = query.order_by(*order).limit(chunk)
        if last is not None:
            # A plain tuple on the right: each value is bound with its column's type (times as stored).
            after = tuple_(*keys) < last if descending else tuple_(*keys) > last
            page = page.where(after)
        with UnitOfWork(ctx, read_only=True) as uow:
            rows = [dict(r._mapping) for r in uow.conn.execute(page)]
        yield from (cast(R, row) for row in rows)
        if len(rows) < chunk:
            return
        last = tuple(rows[-1][k.key] for k in keys)
