"""The one renderer of the workbook: every view of it is the template, laid out from `layout` here.

The blank template, the pre-filled workbook and the annotated and archive
copies of a submitted one are the same workbook with different values in
it. `render` lays out the `Lisez-moi` sheet (instructions and the lists the
dropdowns point at) and each form and table sheet with the template's looks:
required marks, dropdowns and input messages, the text format on identifier
columns, the yellow input cells, frozen headers and the page setup for A4.
Each view then puts its values into the cells (the model of workbook.book),
and `xlsx_writer.to_xlsx` writes the file.

Where the fields sit is given by `Places`: the template's own positions, or
those a submitted workbook had (its columns in another order, say), so that
a copy keeps every value, dropdown and mark where the person left it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from openpyxl.utils import get_column_letter, quote_sheetname

from provisioner.wording import workbook_text
from provisioner.workbook import layout
from provisioner.workbook.book import (
    Book,
    Cell,
    Page,
    Sheet,
    Validation,
    add_sheet,
)
from provisioner.workbook.dropdowns import choice_lists, field_help, validation
from provisioner.workbook.layout import Field
from provisioner.workbook.places import Places, table_sheets
from provisioner.workbook.readme import readme_paragraphs

REQUIRED_MARK = " *"
FIRST_DATA_ROW = 2
LAST_DATA_ROW = layout.MAX_USER_ROWS + 1  # the reader's cap: dropdowns cover every row it accepts
BLANK_PRINT_ROWS = 25  # empty rows a blank table prints, to be filled by hand

# --- Looks ------------------------------------------------------------------------

DARK_BLUE = "1F4E78"
HEADER_FILL = "FF" + DARK_BLUE
INPUT_FILL = "FFFFF2CC"  # the cells a person types into
FIXED_FILL = "FFE7E6E6"  # prefilled, not to be changed
HELP_COLOR = "595959"
LINE_HEIGHT = 15  # points per line of 11-point Calibri
_TITLE_HEIGHT = 24  # the 16-point title
_HEADER_HEIGHT = 32  # two lines: a long header with its " *" wraps
# A sheet wider than this (in characters) prints in landscape.
_PORTRAIT_WIDTH = 110
# Printed text at 8 points at least (issue 21): 11-point Calibri at 75 % prints at 8.25 points.
# Fitting a wide sheet to one page's width would shrink it to 3 points.
READABLE_SCALE = 75
_WRITING_HEIGHT = 22  # points: a printed user row (5.8 mm at READABLE_SCALE) to write in by hand
_SECRET_KINDS = (layout.Kind.PASSWORD, layout.Kind.QUESTION, layout.Kind.ANSWER)

_FORM_LABEL_WIDTH = 42
_FORM_VALUE_WIDTH = 40
_FORM_HELP_WIDTH = 60  # label, value and help print on one readable landscape page

_README_WIDTH = 100
_LISTS_FIRST_COLUMN = 3  # C: column B stays empty between the instructions and the lists
_LISTS_TITLE_ROW = 1
_LISTS_NAME_ROW = 3


def render(book: Book, places: Mapping[str, Places], *, guide: bool = True) -> None:
    """Add `Lisez-moi`, then each form and table sheet named in `places`, in the layout's order.

    `guide=False` leaves out what only helps a person fill the workbook: the
    instructions (the title alone stays), the dropdowns, the input messages
    and the help column. A workbook kept for the record (the archive copy)
    is not filled in again, and they are most of what writing one costs.
    """
    lists = _render_readme(add_sheet(book, layout.README_SHEET), guide=guide)
    for form in layout.FORM_SHEETS:
        if form.name in places:
            _render_form(add_sheet(book, form.name), form.fields, places[form.name], lists, guide=guide)
    for name, columns in table_sheets():
        if name in places:
            _render_table(add_sheet(book, name), columns, _required_keys(name), places[name], lists,
                          guide=guide)


def required_label(label: str) -> str:
    return label + REQUIRED_MARK


def fit_row(sheet: Sheet, row: int, text: str, width: float) -> None:
    """Make `row` tall enough for `text` wrapped in a column `width` characters wide.

    Neither Excel nor LibreOffice reliably grows a row to fit wrapped text
    when it opens a file, so heights are set here; the estimate errs on the
    tall side, so that no line is hidden under the next row.
    """
    lines = sum(max(1, math.ceil(len(part) / width)) for part in text.split("\n"))
    sheet.heights[row] = max(sheet.heights.get(row, LINE_HEIGHT), lines * LINE_HEIGHT + 3)


def print_setup(sheet: Sheet, last_row: int, last_column: int, *, repeat_rows: int = 0,
                readable: bool = False, repeat_columns: tuple[int, int] | None = None) -> None:
    """Print the used range on A4, in landscape when the sheet is wide: one page wide, or, when
    `readable`, at READABLE_SCALE (11-point text printed at 8 points at least), across pages."""
    width = sum(sheet.widths.get(c, 9) for c in range(1, last_column + 1))
    sheet.page = Page(landscape=width > _PORTRAIT_WIDTH, repeat_rows=repeat_rows,
                      area=(1, 1, last_row, last_column), scale=READABLE_SCALE if readable else None,
                      repeat_columns=repeat_columns)


def _required_keys(sheet: str) -> set[str]:
    if sheet == layout.CATEGORIES_SHEET:
        return {layout.CATEGORY_LOGIN.key}
    service = next(t for t in layout.TELESERVICES if t.sheet == sheet)
    return set(layout.COMMON_RECORD_KEYS) | set(service.record_keys)


# --- Sheet "Lisez-moi" -------------------------------------------------------------------

_README_LOOKS: dict[str, dict[str, object]] = {
    "title": {"bold": True, "size": 16, "color": DARK_BLUE},
    "subtitle": {"italic": True, "color": HELP_COLOR},
    "heading": {"bold": True, "size": 12, "color": DARK_BLUE},
    "text": {},
    "bullet": {"indent": 2},
    "strong": {"bold": True},
}


def style(cell: Cell, **look: object) -> Cell:
    for name, value in look.items():
        setattr(cell, name, value)
    return cell


def _render_readme(sheet: Sheet, *, guide: bool) -> dict[tuple[str, ...], str]:
    """The instructions and the "Listes de choix"; returns each list's absolute range."""
    sheet.gridlines = False
    sheet.widths.update({1: _README_WIDTH, 2: 4})
    paragraphs = readme_paragraphs() if guide else readme_paragraphs()[:1]
    for row, (kind, text) in enumerate(paragraphs, start=1):
        cell = style(Cell(text=text, wrap=True), **_README_LOOKS[kind])
        sheet.cells[(row, 1)] = cell
        if kind == "title":
            sheet.heights[row] = _TITLE_HEIGHT
        elif text:
            fit_row(sheet, row, text, _README_WIDTH - (3 if kind == "bullet" else 0))
    # Only the instructions print: the lists serve the dropdowns.
    sheet.page = Page(area=(1, 1, len(paragraphs), 1))
    return _render_choice_lists(sheet) if guide else {}


def _render_choice_lists(sheet: Sheet) -> dict[tuple[str, ...], str]:
    """The closed lists, side by side right of the instructions, visible (hidden sheets are refused)."""
    sheet.cells[(_LISTS_TITLE_ROW, _LISTS_FIRST_COLUMN)] = style(
        Cell(text=workbook_text.LISTS_TITLE), **_README_LOOKS["heading"])
    sheet.cells[(_LISTS_TITLE_ROW + 1, _LISTS_FIRST_COLUMN)] = Cell(
        text=workbook_text.LISTS_NOTE, italic=True, color=HELP_COLOR)
    ranges: dict[tuple[str, ...], str] = {}
    for offset, (choices, name) in enumerate(choice_lists().items()):
        column = _LISTS_FIRST_COLUMN + offset
        letter = get_column_letter(column)
        sheet.widths[column] = max(14, min(55, max(len(v) for v in (name, *choices)) + 2))
        sheet.cells[(_LISTS_NAME_ROW, column)] = _header_cell(name)
        first = _LISTS_NAME_ROW + 1
        for row, value in enumerate(choices, start=first):
            sheet.cells[(row, column)] = Cell(text=value, border=True, wrap=True)
        last = first + len(choices) - 1
        ranges[choices] = f"{quote_sheetname(sheet.name)}!${letter}${first}:${letter}${last}"
    return ranges


def _header_cell(text: str) -> Cell:
    return Cell(text=text, bold=True, color="FFFFFF", fill=HEADER_FILL, wrap=True, middle=True, border=True)


# --- Form sheets ("Adhérent", "Délégué") -------------------------------------------------


def _render_form(sheet: Sheet, fields: tuple[Field, ...], places: Places,
                 lists: dict[tuple[str, ...], str], *, guide: bool) -> None:
    """Label, value and help side by side, one field a row (the reader reads the label and the value)."""
    value = places.value_column
    sheet.widths.update({value - 1: _FORM_LABEL_WIDTH, value: _FORM_VALUE_WIDTH, value + 1: _FORM_HELP_WIDTH})
    for fld in fields:
        row = places.rows[fld.key]
        label = required_label(fld.label) if fld.required_for else fld.label
        sheet.cells[(row, value - 1)] = Cell(text=label, bold=bool(fld.required_for), wrap=True)
        cell = style(sheet.cell(row, value), border=True, wrap=True, fill=INPUT_FILL,
                     text_format=fld.kind in layout.TEXT_FORMAT_KINDS)
        if fld.key == "version":
            cell.text, cell.fill = layout.TEMPLATE_VERSION, FIXED_FILL
        help_text = field_help(fld) if guide else ""
        if help_text:
            sheet.cells[(row, value + 1)] = Cell(text=help_text, italic=True, color=HELP_COLOR, wrap=True)
            fit_row(sheet, row, help_text, _FORM_HELP_WIDTH)
        options = validation(fld, lists) if guide else None
        if options is not None:
            sheet.validations.append(Validation(row, value, row, value, options))
    print_setup(sheet, max(places.rows.values()), value + 1, readable=True)


# --- Table sheets (the six téléservices, "Catégories") -----------------------------------


def _render_table(sheet: Sheet, columns: tuple[Field, ...], required: set[str], places: Places,
                  lists: dict[tuple[str, ...], str], *, guide: bool) -> None:
    """Headers frozen; dropdowns, messages and formats down to the last accepted row."""
    header = places.header_row
    first, last = header + 1, header + layout.MAX_USER_ROWS
    sheet.frozen_rows = header
    sheet.heights[header] = _HEADER_HEIGHT
    for fld in columns:
        column = places.columns[fld.key]
        sheet.cells[(header, column)] = _header_cell(
            required_label(fld.label) if fld.key in required else fld.label)
        sheet.widths[column] = fld.width
        if fld.kind in layout.TEXT_FORMAT_KINDS:
            # A column style, not 5,000 formatted cells: Excel gives it to every
            # cell typed in the column, the header keeps its own style.
            sheet.text_columns.add(column)
        options = validation(fld, lists) if guide else None
        if options is not None:
            sheet.validations.append(Validation(first, column, last, column, options))
    # A grid to fill: its lines print, over the rows in use or a few blank ones.
    sheet.print_gridlines = True
    last_row = max(header + BLANK_PRINT_ROWS, *(r for r, _ in sheet.cells))
    paper = [places.columns[f.key] for f in columns if f.kind not in _SECRET_KINDS]
    if len(paper) < len(columns):
        for row in range(first, last_row + 1):
            sheet.heights[row] = max(sheet.heights.get(row, LINE_HEIGHT), _WRITING_HEIGHT)
        # A user table prints the columns filled on paper (the template puts them first, up to
        # Login), readable, across pages with Nom and Prénom repeated. Passwords and secret answers
        # are never written on paper: their columns are typed in the workbook only, not printed.
        nom, prenom = places.columns.get("nom"), places.columns.get("prenom")
        print_setup(sheet, last_row, max(paper), repeat_rows=header, readable=True,
                    repeat_columns=(nom, prenom) if nom and prenom == nom + 1 else None)
    else:
        print_setup(sheet, last_row, max(places.columns.values()), repeat_rows=header)


def finish(book: Book) -> Book:
    """Stretch each print area over every row holding a value, once a view has written its values."""
    for sheet in book.values():
        if sheet.page is None or sheet.page.area is None or not sheet.cells:
            continue
        first_row, first_column, last_row, last_column = sheet.page.area
        used = max(r for r, c in sheet.cells if c <= last_column)
        sheet.page.area = (first_row, first_column, max(last_row, used), last_column)
    return book
