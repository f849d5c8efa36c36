"""The annotated copy's marks on the data sheets: faulty cells and rows filled and commented, tabs coloured,
emptied secret cells in mauve holding layout.RETYPE_MARKER, with a comment saying to type them again, and
their sheets' tabs mauve.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from openpyxl.utils.cell import coordinate_to_tuple

from provisioner.domain.findings import Finding, Severity
from provisioner.wording import workbook_text as text
from provisioner.workbook import layout
from provisioner.workbook.book import Book, Sheet, as_text, put_text
from provisioner.workbook.finding_places import Located, Target
from provisioner.workbook.layout import Field
from provisioner.workbook.model import ParsedWorkbook
from provisioner.workbook.places import Places
from provisioner.workbook.secret_scrub import Scrubber

# Strong fills mark the faulty cell itself; light fills mark a whole row
# that a finding names without naming a cell.
ERROR_FILL = "FFFF9999"
WARNING_FILL = "FFFFCC66"
ERROR_ROW_FILL = "FFFDE2E4"
WARNING_ROW_FILL = "FFFFF2CC"
# An emptied secret cell: a colour of its own, the person types it again.
SECRET_FILL = "FFE4DFEC"
ERROR_TAB = "C00000"
WARNING_TAB = "FFC000"
SECRET_TAB = "7030A0"  # cells to type again, on a sheet without findings

SECRET_NOTES = {layout.Kind.PASSWORD: text.PASSWORD_TO_RETYPE, layout.Kind.ANSWER: text.ANSWER_TO_RETYPE}
SECRET_COLUMN_NOTES = {layout.Kind.PASSWORD: text.PASSWORDS_TO_RETYPE, layout.Kind.ANSWER: text.ANSWERS_TO_RETYPE}
SECRET_NOTE_LIMIT = 500  # cells commented one by one; past it, the column header's note says it

# Higher rank wins when several findings touch one cell.
_FILL_RANKS = {1: WARNING_ROW_FILL, 2: ERROR_ROW_FILL, 3: WARNING_FILL, 4: ERROR_FILL}


@dataclass
class _Marks:
    """What the cells of one sheet get: a fill rank and the comment's messages."""

    fills: dict[tuple[int, int], int] = field(default_factory=dict)
    notes: dict[tuple[int, int], list[str]] = field(default_factory=lambda: defaultdict(list))


def secret_note(fld: Field) -> str:
    """The comment on an emptied secret cell of the annotated copy."""
    return SECRET_NOTES[fld.kind]


def strong_fill(finding: Finding) -> str:
    return ERROR_FILL if finding.is_error else WARNING_FILL


def mark_cells(book: Book, located: list[Located], scrub: Scrubber) -> None:
    marks: dict[str, _Marks] = defaultdict(_Marks)
    # A row fill spans the columns the sheet holds before any mark is added:
    # a mark on a far cell must not stretch the row fills of other findings.
    widths = {name: sheet.max_column for name, sheet in book.items()}
    for finding, target in located:
        if target is not None:
            _collect(widths[target.sheet], marks[target.sheet], finding, target, scrub)
            tab = ERROR_TAB if finding.is_error else WARNING_TAB
            if book[target.sheet].tab_color != ERROR_TAB:
                book[target.sheet].tab_color = tab
    for name, sheet_marks in marks.items():
        _apply(book[name], sheet_marks)


def emptied_secrets(parsed: ParsedWorkbook | None,
                    places: dict[str, Places]) -> dict[str, dict[tuple[int, int], Field]]:
    """Every secret cell that held a value, by sheet: the copy leaves it blank."""
    emptied: dict[str, dict[tuple[int, int], Field]] = defaultdict(dict)
    if parsed is None:
        return emptied
    for form in (parsed.adherent, parsed.delegue):
        for key, read in form.cells.items():
            if read.field.secret and read.value and read.row is not None:
                emptied[form.sheet][places[form.sheet].value_cell(key)] = read.field
    for table in [*parsed.users.values(), parsed.categories]:
        for fld in table.fields:
            if not fld.secret or fld.key not in table.letters or table.frame.empty:
                continue
            column = places[table.sheet].columns[fld.key]
            for excel_row, value in zip(table.frame.index.tolist(), table.frame[fld.key].tolist()):
                if as_text(value):
                    emptied[table.sheet][(int(excel_row), column)] = fld
    return emptied


def mark_secrets(book: Book, emptied: dict[str, dict[tuple[int, int], Field]],
                 places: dict[str, Places]) -> None:
    """Fill every emptied secret cell and comment it, after the findings' marks.

    A faulty secret cell stays red, its comment saying what is wrong first.
    The header of a table's secret column says it once for the whole column:
    past `SECRET_NOTE_LIMIT` cells, the cells get the fill alone (a comment
    each would make a copy of thousands of users slow to write and to open).
    """
    noted = 0
    for name, cells in emptied.items():
        sheet = book[name]
        if cells and sheet.tab_color is None:
            sheet.tab_color = SECRET_TAB
        for (row, column), fld in cells.items():
            cell = sheet.cell(row, column)
            put_text(cell, layout.RETYPE_MARKER)  # seen on screen and on paper, not only as a colour
            if cell.fill not in (ERROR_FILL, WARNING_FILL):
                cell.fill = SECRET_FILL
            if noted < SECRET_NOTE_LIMIT:
                cell.note = [*(cell.note or []), secret_note(fld)]
                noted += 1
        if not places[name].rows:  # a table: one note on each secret column's header
            header = places[name].header_row
            for column, fld in {column: fld for (_, column), fld in cells.items()}.items():
                sheet.cell(header, column).note = [SECRET_COLUMN_NOTES[fld.kind]]


def to_retype(emptied: dict[str, dict[tuple[int, int], Field]],
              places: dict[str, Places]) -> list[tuple[str, int, int, list[str]]]:
    """(sheet, row, first column, labels) of each row with cells to type again, in sheet order."""
    rows: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for name, cells in emptied.items():
        for (row, column), fld in cells.items():
            # A form's row holds one field: name it by its label; a table's row lists its columns.
            rows[(name, row)].append((column, fld.label))
    order = {name: i for i, name in enumerate(places)}
    return [(name, row, min(cells)[0], [label for _, label in sorted(cells)])
            for (name, row), cells in sorted(rows.items(), key=lambda item: (order.get(item[0][0], 0), item[0][1]))]


def _collect(
    max_column: int, marks: _Marks, finding: Finding, target: Target, scrub: Scrubber
) -> None:
    warning = finding.severity is Severity.WARNING
    if target.cell:
        place = coordinate_to_tuple(target.cell)
        _raise_fill(marks, place, 3 if warning else 4)
        _add_note(marks, place, scrub(finding.message))
    elif target.row:
        for column in range(1, max_column + 1):
            _raise_fill(marks, (target.row, column), 1 if warning else 2)
        _add_note(marks, (target.row, 1), scrub(finding.message))


def _raise_fill(marks: _Marks, place: tuple[int, int], rank: int) -> None:
    marks.fills[place] = max(rank, marks.fills.get(place, 0))


def _add_note(marks: _Marks, place: tuple[int, int], message: str) -> None:
    if message and message not in marks.notes[place]:
        marks.notes[place].append(message)


def _apply(sheet: Sheet, marks: _Marks) -> None:
    for (row, column), rank in marks.fills.items():
        sheet.cell(row, column).fill = _FILL_RANKS[rank]
    for (row, column), messages in marks.notes.items():
        sheet.cell(row, column).note = messages
