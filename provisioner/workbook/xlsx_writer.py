"""A workbook laid out in memory (workbook.book) written as .xlsx in one pass with XlsxWriter.

XlsxWriter (about 2.5 times faster than openpyxl here) fixes a cell's format
when the cell is written: `to_xlsx` gathers each distinct look into one
format, then writes every sheet's cells, dropdowns, comments and page setup.
Every value is written with `write_string` only, so it never becomes a
formula, a number or a link.

`render` lays the workbook's views out in the model; nothing else writes
an .xlsx.
"""

from __future__ import annotations

import math
from datetime import datetime
from io import BytesIO
from typing import NamedTuple

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from provisioner.workbook.book import Book, Cell, Page, Sheet, Validation, clean

CREATOR = "CIMR — provisioner"
COMMENT_AUTHOR = "CIMR"

# What Excel (or LibreOffice) may take for the start of a formula.
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_LINK_COLOR = "#0563C1"  # Excel's own hyperlink blue
_BORDER_COLOR = "#BFBFBF"
_A4 = 9  # Excel's paper code


class _Look(NamedTuple):
    """The format of a cell, as the key of the format cache."""

    text_format: bool
    bold: bool
    italic: bool
    size: int | None
    color: str | None
    fill: str | None
    wrap: bool
    middle: bool
    border: bool
    indent: int
    link: bool
    quote_prefix: bool


class _Formats:
    """One Format per distinct look.

    XlsxWriter writes a style record per Format object: one made per cell
    would be slow and would bloat styles.xml.
    """

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[_Look, Format | None] = {}

    def get(self, look: _Look) -> Format | None:
        if look not in self._cache:
            properties = _properties(look)
            self._cache[look] = self._workbook.add_format(properties) if properties else None
        return self._cache[look]


_PLAIN = _Look(False, False, False, None, None, None, False, False, False, 0, False, False)
_TEXT_COLUMN = _PLAIN._replace(text_format=True)


def _properties(look: _Look) -> dict[str, object]:
    properties: dict[str, object] = {}
    if look.text_format:
        properties["num_format"] = 49  # Excel's built-in "@", which it applies to typed cells
    if look.link:
        # The link's blue underline replaces the cell's font, bold included.
        properties.update(font_color=_LINK_COLOR, underline=1)
    else:
        if look.bold:
            properties["bold"] = True
        if look.italic:
            properties["italic"] = True
        if look.size:
            properties["font_size"] = look.size
        if look.color:
            properties["font_color"] = f"#{look.color}"
    if look.fill:
        # A solid pattern takes bg_color: XlsxWriter writes it as the fill's
        # foreground, where Excel reads a solid fill's colour.
        properties.update(pattern=1, bg_color=f"#{look.fill[-6:]}")
    if look.wrap:
        properties.update(text_wrap=True, valign="vcenter" if look.middle else "top")
    if look.border:
        properties.update(border=1, border_color=_BORDER_COLOR)
    if look.indent:
        properties["indent"] = look.indent
    if look.quote_prefix:
        properties["quote_prefix"] = True
    return properties


def to_xlsx(book: Book, *, title: str | None = None, created: datetime | None = None) -> bytes:
    """The book as .xlsx bytes. With `created`, the document dates are that instant
    (XlsxWriter's zip entries are already dated 1980), so the output depends only on the book."""
    output = BytesIO()
    # Only write_string and write_number are called, which never convert;
    # the options say the same should `write` ever be used.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False}
    with xlsxwriter.Workbook(output, options) as workbook:
        # Plain properties of our own: nothing of the original's title,
        # subject, keywords or description (places where secrets survive).
        # XlsxWriter writes the author as lastModifiedBy too.
        properties: dict[str, object] = {"author": CREATOR}
        if title:
            properties["title"] = title
        if created is not None:
            properties["created"] = created
        workbook.set_properties(properties)
        formats = _Formats(workbook)
        worksheets = [_write_sheet(workbook.add_worksheet(sheet.name), sheet, formats)
                      for sheet in book.values()]
        if worksheets:
            worksheets[0].activate()
    return output.getvalue()


def _write_sheet(ws: Worksheet, sheet: Sheet, formats: _Formats) -> Worksheet:
    for column in sorted(sheet.widths.keys() | sheet.text_columns):
        look = _TEXT_COLUMN if column in sheet.text_columns else _PLAIN
        width = sheet.widths.get(column)
        ws.set_column(column - 1, column - 1, width, formats.get(look))
    for row, height in sorted(sheet.heights.items()):
        ws.set_row(row - 1, height)
    if sheet.frozen_rows:
        ws.freeze_panes(sheet.frozen_rows, 0)
    if sheet.autofilter is not None:
        first_row, first_column, last_row, last_column = sheet.autofilter
        ws.autofilter(first_row - 1, first_column - 1, last_row - 1, last_column - 1)
    if sheet.tab_color:
        ws.set_tab_color(f"#{sheet.tab_color}")
    # 0: gridlines shown and printed; 1: shown only; 2: neither.
    ws.hide_gridlines(2 if not sheet.gridlines else 0 if sheet.print_gridlines else 1)
    if sheet.page is not None:
        _set_page(ws, sheet.page)
    _write_validations(ws, sheet.validations)
    merged = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in sheet.merges}
    for (row, column), cell in sheet.cells.items():
        _write_cell(ws, row - 1, column - 1, cell, formats,
                    in_text_column=column in sheet.text_columns, merge_to=merged.get((row, column)))
    return ws


def _write_validations(ws: Worksheet, validations: list[Validation]) -> None:
    """One validation element per distinct set of options, over all its ranges.

    XlsxWriter parses a range-list formula (the long question list) with a
    hundred regular expressions each time: once per sheet rather than once
    per column keeps a copy fast.
    """
    groups: dict[str, list[Validation]] = {}
    for validation in validations:
        groups.setdefault(repr(sorted(validation.options.items())), []).append(validation)
    for group in groups.values():
        first = group[0]
        options = dict(first.options)
        if len(group) > 1:
            options["multi_range"] = " ".join(_range(v) for v in group)
        ws.data_validation(first.first_row - 1, first.first_column - 1, first.last_row - 1,
                           first.last_column - 1, options)


def _range(validation: Validation) -> str:
    first = xl_rowcol_to_cell(validation.first_row - 1, validation.first_column - 1)
    last = xl_rowcol_to_cell(validation.last_row - 1, validation.last_column - 1)
    return first if first == last else f"{first}:{last}"


def _set_page(ws: Worksheet, page: Page) -> None:
    ws.set_paper(_A4)
    if page.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if page.scale is None:
        ws.fit_to_pages(1, 0)  # one page wide, as many long as it takes
    else:
        ws.set_print_scale(page.scale)
        ws.print_across()  # a row's columns on consecutive pages, then the next rows
    if page.repeat_rows:
        ws.repeat_rows(0, page.repeat_rows - 1)
    if page.repeat_columns is not None:
        ws.repeat_columns(page.repeat_columns[0] - 1, page.repeat_columns[1] - 1)
    if page.area is not None:
        first_row, first_column, last_row, last_column = page.area
        ws.print_area(first_row - 1, first_column - 1, last_row - 1, last_column - 1)


def _write_cell(
    ws: Worksheet, row: int, column: int, cell: Cell, formats: _Formats, *, in_text_column: bool,
    merge_to: tuple[int, int] | None = None,
) -> None:
    look = _Look(
        # A cell with a format of its own no longer takes its column's:
        # a filled blank cell of a text column keeps "@" this way.
        text_format=cell.text_format or (in_text_column and cell.number is None),
        bold=cell.bold, italic=cell.italic, size=cell.size, color=cell.color, fill=cell.fill,
        wrap=cell.wrap, middle=cell.middle, border=cell.border, indent=cell.indent,
        link=cell.link is not None, quote_prefix=cell.text.startswith(_FORMULA_TRIGGERS),
    )
    cell_format = formats.get(look)
    written = False
    if merge_to is not None:
        ws.merge_range(row, column, merge_to[0] - 1, merge_to[1] - 1, "", cell_format)
    if cell.link is not None:
        shown = cell.text or ("" if cell.number is None else str(cell.number))
        if ws.write_url(row, column, f"internal:{cell.link}", cell_format, shown) == 0:
            written = bool(cell.text)  # write_url wrote the text; a number goes over it
        else:
            # Refused (a limit of Excel's): the value stays, unlinked.
            cell_format = formats.get(look._replace(link=False))
    if not written:
        _write_value(ws, row, column, cell, cell_format)
    if cell.note:
        text, options = _comment(cell.note)
        ws.write_comment(row, column, text, options)


def _write_value(
    ws: Worksheet, row: int, column: int, cell: Cell, cell_format: Format | None
) -> None:
    if cell.text:
        ws.write_string(row, column, cell.text, cell_format)
    elif cell.number is not None:
        ws.write_number(row, column, cell.number, cell_format)
    else:
        ws.write_blank(row, column, None, cell_format)  # a fill or a format alone; else nothing


def _comment(messages: list[str]) -> tuple[str, dict[str, object]]:
    # Sized to the text: the default box shows about two short lines.
    lines = sum(max(1, math.ceil(len(m) / 48)) for m in messages)
    text = clean("\n".join(messages))  # as a cell's text: no control character, cut to the limit
    return text, {"author": COMMENT_AUTHOR, "width": 320, "height": min(400, 30 + 16 * lines)}
