"""The in-memory model of a workbook to write: a `Book` of `Sheet`s of `Cell`s with their look.

XlsxWriter fixes a cell's format when the cell is written, so a workbook is
first laid out here (each cell's text and look, plus each sheet's dropdowns,
row heights and page setup), then written in one pass by
`xlsx_writer.to_xlsx`. Every value put here is inert text (`put_text`):
cleaned of what an xlsx cannot hold, cut to Excel's limit, written as a
string only, so it never becomes a formula, a number or a link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import quote_sheetname

# Excel's limit for the text of a cell or a comment, in UTF-16 units.
_MAX_TEXT = 32_767


@dataclass(slots=True)
class Cell:
    """Everything one cell gets, gathered before it is written."""

    text: str = ""  # inert text, already cleaned and cut to Excel's limit
    number: int | None = None  # only our own numbers (the Anomalies row), never a read value
    text_format: bool = False  # number format "@"
    bold: bool = False
    italic: bool = False
    size: int | None = None
    color: str | None = None  # font colour, RGB hex
    fill: str | None = None  # ARGB, solid
    wrap: bool = False  # wrapped, top-aligned (centred vertically when `middle`)
    middle: bool = False
    border: bool = False  # a thin grey box
    indent: int = 0
    link: str | None = None  # internal location, 'Sheet'!A1
    note: list[str] | None = None  # the comment's messages


@dataclass(frozen=True)
class Validation:
    """A dropdown and/or input message on a range (1-based, inclusive), in XlsxWriter's options."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int
    options: dict[str, object]


@dataclass
class Page:
    """How a sheet prints: on A4, one page wide (or at `scale` %), the header rows repeated."""

    landscape: bool = False
    repeat_rows: int = 0  # rows 1..n repeated at the top of every page
    area: tuple[int, int, int, int] | None = None  # first row, column, last row, column
    scale: int | None = None  # a fixed zoom, pages across as needed, instead of one page wide
    repeat_columns: tuple[int, int] | None = None  # first, last: repeated at the left of every page


@dataclass
class Sheet:
    """One sheet; rows and columns are 1-based, as in Excel."""

    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    text_columns: set[int] = field(default_factory=set)  # number format "@" on the column
    heights: dict[int, float] = field(default_factory=dict)  # points
    frozen_rows: int = 0
    autofilter: tuple[int, int, int, int] | None = None  # first row, column, last row, column
    validations: list[Validation] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # value in the first cell
    tab_color: str | None = None  # RGB hex
    gridlines: bool = True  # on screen; printed only on sheets that are grids to fill
    print_gridlines: bool = False
    page: Page | None = None

    def cell(self, row: int, column: int) -> Cell:
        found = self.cells.get((row, column))
        if found is None:
            found = self.cells[(row, column)] = Cell()
        return found

    @property
    def max_column(self) -> int:
        return max((column for _, column in self.cells), default=1)


Book = dict[str, Sheet]  # in sheet order; the first one is shown on opening


def add_sheet(book: Book, name: str) -> Sheet:
    sheet = book[name] = Sheet(name)
    return sheet


def put_text(cell: Cell, value: object) -> None:
    """Set a value read from the workbook as inert text.

    It is written with `write_string` only, so it never becomes a formula,
    a number or a link; the quote prefix (added when written) makes Excel
    keep "+1+2" or "@SUM(A1)" as text even when the person edits the cell.
    Control characters, which an xlsx cannot hold, are dropped.
    """
    _set_text(cell, clean(value))


def put_text_at(sheet: Sheet, row: int, column: int, value: object) -> None:
    """`put_text`, the cell made only when there is text: in a text column even an
    empty cell of the model would be written (as a blank "@" cell)."""
    text = clean(value)
    if text:
        _set_text(sheet.cell(row, column), text)


def _set_text(cell: Cell, text: str) -> None:
    if text:
        cell.text, cell.text_format = text, True


def clean(value: object) -> str:
    return _fit(ILLEGAL_CHARACTERS_RE.sub("", as_text(value)))


def as_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _fit(text: str) -> str:
    """`text` cut to Excel's limit, so the cell or comment is kept, shortened.

    XlsxWriter refuses a longer comment outright (and cuts a cell's text
    only in its recent versions): doing it here treats both alike.
    """
    if len(text) <= _MAX_TEXT // 2:  # cannot be over the limit: skip the encoding
        return text
    encoded = text.encode("utf-16-le", errors="surrogatepass")
    if len(encoded) <= 2 * _MAX_TEXT:
        return text
    # "ignore" drops half a surrogate pair left at the cut.
    return encoded[:2 * _MAX_TEXT].decode("utf-16-le", errors="ignore")


def put_label(cell: Cell, label: str) -> None:
    put_text(cell, label)
    cell.bold = True


def link(cell: Cell, sheet: str, ref: str) -> None:
    # An internal link (a location, no relationship): clicking it selects
    # the cell; the sheet name is always quoted ('E@syPaiement'!K7).
    cell.link = f"{quote_sheetname(sheet)}!{ref}"
