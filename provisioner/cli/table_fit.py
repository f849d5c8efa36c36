"""A table drawn to the terminal's width without ever cutting an identifier.

Operators copy references (`S20261207T1…`), logins and member numbers from the
table into the next command: a column of identifiers (values without a space)
is never wrapped nor shortened. The other columns fold their text onto more
lines; when even that cannot make the table fit, they are dropped, last
first, and a line says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.table import Table
from rich.text import Text

_IDENTIFIER = re.compile(r"[^\s]+")
_FOLDED_MIN = 8  # the narrowest a folding column is worth keeping
_PER_COLUMN = 3  # a column's padding and border


def fitted_table(title: str, headings: Sequence[str], rows: Sequence[Sequence[str]],
                 width: int) -> tuple[Table, list[str]]:
    """The table for a terminal `width` wide, and the headings of the columns left out to fit it."""
    ids = [i for i in range(len(headings)) if _identifiers(row[i] for row in rows)]
    kept = list(range(len(headings)))
    needed = {i: max(len(headings[i]), *(len(row[i]) for row in rows)) if i in ids else
              min(_FOLDED_MIN, max(len(headings[i]), *(len(row[i]) for row in rows))) for i in kept}
    while sum(needed[i] + _PER_COLUMN for i in kept) + 1 > width and any(i not in ids for i in kept):
        kept.remove(max(i for i in kept if i not in ids))
    table = Table(title=title, title_justify="left")
    for i in kept:
        if i in ids:
            table.add_column(headings[i], no_wrap=True, min_width=needed[i], overflow="ignore")
        else:
            table.add_column(headings[i], overflow="fold")
    for row in rows:
        table.add_row(*(Text(row[i]) for i in kept))  # Text: never parsed as markup
    return table, [headings[i] for i in range(len(headings)) if i not in kept]


def _identifiers(values: Iterable[str]) -> bool:
    texts = [v for v in values if v]
    return bool(texts) and all(_IDENTIFIER.fullmatch(v) for v in texts)
