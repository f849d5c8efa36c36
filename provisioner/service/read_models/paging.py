"""Pages of at most `PAGE_SIZE` rows, and prefix searches an index answers.

The web must answer in under 100 ms with 20,000 companies and 200,000
accounts: no COUNT over a whole table for paging; one row more than a page
tells whether a next page exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypedDict, TypeVar, cast

from sqlalchemy import ColumnElement, Connection, and_, func, select

from provisioner.store.base import SomeColumn, SomeSelect

PAGE_SIZE = 50
SEARCH_MIN = 2  # one letter would match a tenth of the store
COUNT_CAP = 1_000  # a search counts its matches up to this: past it, "plus de 1 000"
_TOP = "\U0010ffff"  # sorts after every character: [q, q + _TOP) holds every text starting with q

R = TypeVar("R")


class PageNotes(TypedDict, total=False):
    """What a page tells beside its rows."""

    too_short: bool  # a search too short to run
    at_least: int  # more matches than COUNT_CAP: the total is not counted
    after: str  # the newest-first list's next page starts after this (submissions.Cursor)
    kind: str  # the request kind the page is cut to (web: requests)
    total: int  # every row of that kind (web: requests)


@dataclass
class Page(Generic[R]):
    rows: list[R]
    number: int
    has_next: bool
    extra: PageNotes = field(default_factory=PageNotes)
    total: int | None = None  # how many rows the whole list holds, when counted

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // PAGE_SIZE))


def count_of(conn: Connection, query: SomeSelect) -> int:
    """How many rows `query` gives (its order dropped): a page says "page 3 of 12, 587 rows"."""
    return int(conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())


@dataclass
class Capped(Generic[R]):
    """The first rows of a list, and how many it holds in all (a page links to the rest)."""

    rows: list[R]
    total: int

    @property
    def cut(self) -> bool:
        return len(self.rows) < self.total


def fetch_page(conn: Connection, query: SomeSelect, number: int, shape: type[R], *,
               counted: bool = False) -> Page[R]:
    """Page `number` (from 1) of `query`, each row as `shape`: the TypedDict its columns make; with its
    total when `counted`."""
    number = max(1, number)
    found = conn.execute(query.limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE))
    rows = [cast(R, dict(r._mapping)) for r in found]
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, total=count_of(conn, query) if counted else None)


def prefix(column: SomeColumn, text: str, *, exact: bool = False) -> ColumnElement[bool]:
    """`column` starts with `text`: a range an index answers, and (unless the range is `exact`, as with
    SQLite's binary collation) a LIKE for collations where the range is loose."""
    in_range = and_(column >= text, column < text + _TOP)
    if exact:
        return in_range
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(in_range, column.like(escaped + "%", escape="\\"))
