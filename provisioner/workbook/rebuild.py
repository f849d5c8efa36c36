"""The annotated copy of a rejected workbook and the secret-free archive copy.

Both are NEW workbooks built from the values the reader kept, never a re-save
of the submitted file: a re-save would carry its comments, document
properties, defined names and hidden sheets, where secrets survive
(security.md). Password and answer cells are left blank, every value is
written as text (never as a formula), and the only prose added is ours: the
findings' messages, scrubbed of anything equal to a secret value.

Both are the template itself (`render`): its instructions, dropdowns, text
formats, input messages, input cells and page setup, with the values read
put where the person had them. A label or header the file lacked is put
back (a form label at its template row or the next free one, a table header
in the next free column), so the person who fixes the copy fixes the layout
too.

The annotated copy is made to be fixed and sent back as it is: a first
sheet `Anomalies` (ignored when the copy comes back) lists every finding;
each faulty cell is red with a comment; each secret cell that was emptied
is marked in mauve, with a comment saying to type it again; the tabs of
sheets with findings are coloured. This module builds the copy both share;
the annotation lives beside it: anomalies_sheet (the first sheet),
finding_places (where a finding lands), cell_marks (fills and comments) and
secret_scrub (no secret in our own text).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from provisioner.domain.findings import Finding
from provisioner.reports.files import write_atomic
from provisioner.wording import workbook_text as text
from provisioner.workbook import layout
from provisioner.workbook.anomalies_sheet import write_anomalies
from provisioner.workbook.book import Book, Cell, Sheet, add_sheet, link, put_text, put_text_at
from provisioner.workbook.cell_marks import emptied_secrets, mark_cells, mark_secrets, to_retype
from provisioner.workbook.finding_places import Spots, locate
from provisioner.workbook.findings import split
from provisioner.workbook.layout import ANOMALIES_SHEET, Field
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.places import Places, table_sheets
from provisioner.workbook.render import finish, fit_row, render
from provisioner.workbook.secret_scrub import Scrubber, secret_values
from provisioner.workbook.xlsx_writer import to_xlsx

NOTE_COLOR = "9C0006"
_NOTE_ROW = 2  # the Lisez-moi subtitle, which a copy replaces with what it is


# --- Public API -------------------------------------------------------------


def build_copy(
    parsed: ParsedWorkbook | None,
    findings: Sequence[Finding] = (),
    *,
    annotate: bool,
) -> bytes:
    """A new workbook holding what was read, secrets emptied, as `.xlsx` bytes.

    `annotate=True` makes the copy sent back with a rejection: a first sheet
    `Anomalies` listing every finding (errors, then warnings), each faulty
    cell filled and commented, each emptied secret cell marked. `annotate=False`
    makes the archive copy, with no marks. `parsed=None` (an unreadable file)
    gives a copy with only `Anomalies` and `Lisez-moi`.
    """
    book: Book = {}
    anomalies = add_sheet(book, ANOMALIES_SHEET) if annotate else None
    places = _places(parsed) if parsed is not None else {}
    render(book, places, guide=annotate)
    _write_note(book, parsed, annotate=annotate)
    if parsed is not None:
        _write_values(book, parsed, places)
    if anomalies is not None:
        scrub = Scrubber(secret_values(parsed))
        errors, warnings = split(list(findings))
        spots = {name: Spots.of(name, p) for name, p in places.items()}
        located = [(f, locate(f, spots)) for f in [*errors, *warnings]]
        emptied = emptied_secrets(parsed, places)
        write_anomalies(anomalies, located, scrub, to_retype(emptied, places))
        mark_cells(book, located, scrub)
        mark_secrets(book, emptied, places)
    return to_xlsx(finish(book))


def write_copy(
    parsed: ParsedWorkbook | None,
    findings: Sequence[Finding] = (),
    *,
    annotate: bool,
    path: Path | str,
) -> Path:
    """Build the copy and write it to `path` atomically; returns the path."""
    path = Path(path)
    write_atomic(path, build_copy(parsed, findings, annotate=annotate))
    return path


# --- Lisez-moi ---------------------------------------------------------------


def _write_note(book: Book, parsed: ParsedWorkbook | None, *, annotate: bool) -> None:
    """Say what the copy is in place of the instructions' subtitle, linked to where to start."""
    readme = book[layout.README_SHEET]
    cell = readme.cells[(_NOTE_ROW, 1)] = Cell(bold=True, color=NOTE_COLOR, wrap=True)
    put_text(cell, _note(parsed, annotate=annotate))
    fit_row(readme, _NOTE_ROW, cell.text, 100)
    first = ANOMALIES_SHEET if annotate else layout.ADHERENT_SHEET
    if first in book:
        link(cell, first, "A1")


def _note(parsed: ParsedWorkbook | None, *, annotate: bool) -> str:
    if parsed is None:
        return text.unread_copy(annotate=annotate)
    return text.ANNOTATED_COPY if annotate else text.ARCHIVE_COPY


# --- Data sheets -------------------------------------------------------------


def _places(parsed: ParsedWorkbook) -> dict[str, Places]:
    """Where the copy puts each field: where it was read, a missing one at the next free place."""
    places: dict[str, Places] = {}
    forms = {layout.ADHERENT_SHEET: parsed.adherent, layout.DELEGUE_SHEET: parsed.delegue}
    for form in layout.FORM_SHEETS:
        places[form.name] = Places(rows=_form_rows(form.fields, forms.get(form.name)))
    tables = {t.sheet: parsed.users.get(t.key) for t in layout.TELESERVICES}
    tables[layout.CATEGORIES_SHEET] = parsed.categories
    for name, columns in table_sheets():
        table = tables.get(name)
        positions = _table_columns(columns, table)
        places[name] = Places(columns={key: index + 1 for key, index in positions.items()},
                              header_row=table.header_row if table is not None else 1)
    return places


def _form_rows(fields: tuple[Field, ...], form: FormData | None) -> dict[str, int]:
    """Each label's row: where it was read, else its template row or the next free one."""
    rows: dict[str, int] = {}
    if form is not None:
        rows = {key: c.row for key, c in form.cells.items() if c.row is not None}
    taken = set(rows.values())
    for position, fld in enumerate(fields, start=1):
        if fld.key in rows:
            continue
        row = position
        while row in taken:
            row += 1
        rows[fld.key] = row
        taken.add(row)
    return rows


def _table_columns(fields: tuple[Field, ...], table: TableData | None) -> dict[str, int]:
    """Each header's 0-based column: where it was read, else the next free column."""
    positions = dict(table.letters) if table is not None else {}
    free = max(positions.values(), default=-1) + 1
    for fld in fields:
        if fld.key not in positions:
            positions[fld.key] = free
            free += 1
    return positions


def _write_values(book: Book, parsed: ParsedWorkbook, places: dict[str, Places]) -> None:
    for form in (parsed.adherent, parsed.delegue):
        sheet, where = book[form.sheet], places[form.sheet]
        for key, read in form.cells.items():
            if not read.field.secret:
                cell = sheet.cell(*where.value_cell(key))
                cell.text = ""  # the copy holds what was read, the template version included
                put_text(cell, read.value)
    tables = [(t.sheet, parsed.users.get(t.key)) for t in layout.TELESERVICES]
    tables.append((layout.CATEGORIES_SHEET, parsed.categories))
    for name, table in tables:
        if table is not None:
            _write_rows(book[name], table, places[name])


def _write_rows(sheet: Sheet, table: TableData, places: Places) -> None:
    # Only columns that were read hold values; secret columns stay blank.
    copied = [f for f in table.fields if f.key in table.letters and not f.secret]
    if table.frame.empty or not copied:
        return
    columns = [places.columns[f.key] for f in copied]
    # Plain lists: pandas' own row iteration costs milliseconds a sheet, even empty.
    values = table.frame[[f.key for f in copied]].to_numpy().tolist()
    for excel_row, record in zip(table.frame.index.tolist(), values):
        for column, value in zip(columns, record):
            put_text_at(sheet, int(excel_row), column, value)
