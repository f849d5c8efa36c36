"""The annotated copy of a rejected workbook and the secret-free archive copy.

Both are NEW workbooks built from the values the reader kept, never a re-save
of the submitted file: a re-save would carry its comments, document
properties, defined names and hidden sheets, where secrets survive
(security.md). Password and answer cells are left blank, every value is
written as text (never as a formula), and the only prose added is ours: the
findings' messages, scrubbed of anything equal to a secret value.

The copy has every sheet, label and header of the template. Labels and
headers sit where they were read; one the file lacked is put back (a form
label at its template row or the next free one, a table header in the next
free column), so the person who fixes the copy fixes the layout too.

The copy is laid out here in the model of `xlsx_model` (sheets of cells with
their text, bold, fill, link and comment), then written in one pass.
"""

from __future__ import annotations

import os
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    coordinate_to_tuple,
)

from provisioner.workbook import layout
from provisioner.workbook.findings import Finding, Severity, split
from provisioner.workbook.layout import Field
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.text import cell_ref, label_key
from provisioner.workbook.xlsx_model import (
    COMMENT_AUTHOR,
    CREATOR,
    Book,
    Sheet,
    add_sheet,
    as_text,
    link,
    put_label,
    put_text,
    put_text_at,
    to_xlsx,
)

__all__ = ["ANOMALIES_SHEET", "COMMENT_AUTHOR", "CREATOR", "build_copy", "summary_line", "write_copy"]

ANOMALIES_SHEET = "Anomalies"

# Strong fills mark the faulty cell itself; light fills mark a whole row
# that a finding names without naming a cell.
ERROR_FILL = "FFFF9999"
WARNING_FILL = "FFFFCC66"
ERROR_ROW_FILL = "FFFDE2E4"
WARNING_ROW_FILL = "FFFFF2CC"

SEVERITY_LABELS = {Severity.ERROR: "Erreur", Severity.WARNING: "Avertissement"}
ANOMALY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Gravité", 15), ("Code", 26), ("Feuille", 24), ("Cellule", 10),
    ("Ligne", 8), ("Colonne", 30), ("Message", 90),
)
ANOMALY_HEADER_ROW = 2  # row 1 holds the summary line
FORM_LABEL_WIDTH = 40
FORM_VALUE_WIDTH = 45

# Secret values shorter than this are not scrubbed from messages: "Oui" or
# "1" as an answer would otherwise blank ordinary words of our own messages.
MIN_SCRUBBED_SECRET = 4
SCRUBBED = "•••"

_CELL_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")
_MAX_ROW = 1_048_576
_MAX_COLUMN = 16_384
_MAX_LINKS = 65_530  # Excel's limit of links on one sheet (XlsxWriter refuses more)
_README_WIDTH = 110


# --- Public API -------------------------------------------------------------


def build_copy(
    parsed: ParsedWorkbook | None,
    findings: Sequence[Finding] = (),
    *,
    annotate: bool,
) -> bytes:
    """A new workbook holding what was read, secrets emptied, as `.xlsx` bytes.

    `annotate=True` makes the copy sent back with a rejection: a first sheet
    `Anomalies` listing every finding (errors, then warnings), and each
    faulty cell filled and commented. `annotate=False` makes the archive
    copy, with no marks. `parsed=None` (an unreadable file) gives a copy
    with only `Anomalies` and `Lisez-moi`.
    """
    book: Book = {}
    anomalies = add_sheet(book, ANOMALIES_SHEET) if annotate else None
    readme = add_sheet(book, layout.README_SHEET)
    places = _write_sheets(book, parsed) if parsed is not None else {}
    _write_readme(readme, book, parsed, annotate=annotate)
    if anomalies is not None:
        scrub = _Scrubber(_secret_values(parsed))
        errors, warnings = split(list(findings))
        located = [(f, _locate(f, places)) for f in [*errors, *warnings]]
        _write_anomalies(anomalies, located, scrub)
        _mark_cells(book, located, scrub)
    return to_xlsx(book)


def write_copy(
    parsed: ParsedWorkbook | None,
    findings: Sequence[Finding] = (),
    *,
    annotate: bool,
    path: Path | str,
) -> Path:
    """Build the copy and write it to `path` atomically; returns the path."""
    path = Path(path)
    _save_atomically(build_copy(parsed, findings, annotate=annotate), path)
    return path


def summary_line(errors: int, warnings: int) -> str:
    """The title line of the `Anomalies` sheet, in French."""
    counts = f"{_count(errors, 'erreur', feminine=True)} et {_count(warnings, 'avertissement')}"
    if errors:
        return (f"Le fichier a été refusé : {counts}. Corrigez les cellules en rouge, "
                "ressaisissez les mots de passe et les réponses secrètes (effacés de cette "
                "copie), puis renvoyez le fichier.")
    erased = "les mots de passe et les réponses secrètes ont été effacés de cette copie."
    if warnings:
        return f"{counts[0].upper()}{counts[1:]}. Vérifiez les cellules en orange ; {erased}"
    return f"Aucune anomalie ; {erased}"


def _count(n: int, noun: str, *, feminine: bool = False) -> str:
    if n == 0:
        return f"{'aucune' if feminine else 'aucun'} {noun}"
    return f"{n} {noun}{'s' if n > 1 else ''}"


def _save_atomically(data: bytes, path: Path) -> None:
    # A temporary name in the same folder, then a rename: whoever reads the
    # folder sees the old file or the new one, never half of one.
    # Opened "x" rather than with mkstemp so the file gets the usual
    # permissions (umask), not mkstemp's owner-only ones.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _valid_ref(ref: str | None) -> str | None:
    """`ref` when it is a plain cell reference inside Excel's grid, else None."""
    if not ref or not _CELL_REF.fullmatch(ref):
        return None
    letters, row = coordinate_from_string(ref)
    if row > _MAX_ROW or column_index_from_string(letters) > _MAX_COLUMN:
        return None
    return ref


# --- Lisez-moi ---------------------------------------------------------------


def _write_readme(
    sheet: Sheet, book: Book, parsed: ParsedWorkbook | None, *, annotate: bool
) -> None:
    sheet.widths[1] = _README_WIDTH
    for row, line in enumerate(_readme_lines(parsed, annotate=annotate), start=1):
        put_text(sheet.cell(row, 1), line)
    title = sheet.cell(1, 1)
    title.bold = True
    first = ANOMALIES_SHEET if annotate else layout.ADHERENT_SHEET
    if first in book:
        link(title, first, "A1")


def _readme_lines(parsed: ParsedWorkbook | None, *, annotate: bool) -> list[str]:
    if parsed is None:
        where = " Voir la feuille « Anomalies »." if annotate else ""
        return ["Le fichier reçu n'a pas pu être lu : cette copie ne contient aucune de ses "
                "valeurs." + where]
    if annotate:
        first = ("Copie annotée du fichier envoyé : commencez par la feuille « Anomalies », "
                 "qui liste les cellules à corriger.")
    else:
        first = ("Copie d'archive du fichier reçu, reconstituée à partir des valeurs lues : "
                 "voir la feuille « Adhérent ».")
    return [first, "Les mots de passe et les réponses secrètes ont été effacés de cette copie."]


# --- Data sheets -------------------------------------------------------------


@dataclass
class _Places:
    """Where the copy put the labels of one sheet, to place findings that name no cell.

    `spots` maps a label (as `label_key` sees it) to the value cell of a
    form, `(row, column)`, or to the column of a table, `(None, column)`.
    """

    spots: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    header_row: int = 1

    def cell(self, column: str | None, row: int | None) -> str | None:
        spot = self.spots.get(label_key(column)) if column else None
        if spot is None:
            return None
        fixed_row, index = spot
        return cell_ref(fixed_row or row or self.header_row, index - 1)


def _write_sheets(book: Book, parsed: ParsedWorkbook) -> dict[str, _Places]:
    places: dict[str, _Places] = {}
    forms = {layout.ADHERENT_SHEET: parsed.adherent, layout.DELEGUE_SHEET: parsed.delegue}
    for form in layout.FORM_SHEETS:
        places[form.name] = _write_form(add_sheet(book, form.name), form.fields,
                                        forms.get(form.name))
    tables = [(t.sheet, t.columns, parsed.users.get(t.key)) for t in layout.TELESERVICES]
    tables.append((layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS, parsed.categories))
    for name, columns, table in tables:
        places[name] = _write_table(add_sheet(book, name), columns, table)
    return places


def _write_form(sheet: Sheet, fields: tuple[Field, ...], form: FormData | None) -> _Places:
    places = _Places()
    rows = _form_rows(fields, form)
    for fld in fields:
        row, column = rows[fld.key], _form_value_column(form, fld.key)
        put_label(sheet.cell(row, 1),
                   fld.label + (" *" if layout.ALWAYS <= fld.required_for else ""))
        value_cell = sheet.cell(row, column)
        value_cell.text_format = True  # so Excel keeps leading zeros when retyped
        if form is not None and not fld.secret:
            put_text(value_cell, form.value(fld.key))
        places.spots[label_key(fld.label)] = (row, column)
    sheet.widths[1] = FORM_LABEL_WIDTH
    sheet.widths[2] = FORM_VALUE_WIDTH
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


def _form_value_column(form: FormData | None, key: str) -> int:
    # The reader names the value cell (`B7`): follow it, so that findings
    # pointing at that cell land on the value.
    cell = form.cells.get(key) if form is not None else None
    ref = _valid_ref(cell.cell) if cell is not None else None
    if ref is None:
        return 2
    letters, _ = coordinate_from_string(ref)
    return int(column_index_from_string(letters))


def _write_table(sheet: Sheet, fields: tuple[Field, ...], table: TableData | None) -> _Places:
    places = _Places(header_row=table.header_row if table is not None else 1)
    positions = _table_columns(fields, table)
    for fld in fields:
        column = positions[fld.key] + 1
        put_label(sheet.cell(places.header_row, column), fld.label)
        sheet.widths[column] = fld.width
        if fld.kind in layout.TEXT_FORMAT_KINDS:
            sheet.text_columns.add(column)  # so Excel keeps leading zeros when typed
        places.spots[label_key(fld.label)] = (None, column)
    if table is not None:
        _write_rows(sheet, fields, table, positions)
    sheet.frozen_rows = places.header_row
    return places


def _table_columns(fields: tuple[Field, ...], table: TableData | None) -> dict[str, int]:
    """Each header's 0-based column: where it was read, else the next free column."""
    positions = dict(table.letters) if table is not None else {}
    free = max(positions.values(), default=-1) + 1
    for fld in fields:
        if fld.key not in positions:
            positions[fld.key] = free
            free += 1
    return positions


def _write_rows(
    sheet: Sheet, fields: tuple[Field, ...], table: TableData, positions: dict[str, int]
) -> None:
    # Only columns that were read hold values; secret columns stay blank.
    copied = [f for f in fields if f.key in table.letters and not f.secret]
    if table.frame.empty or not copied:
        return
    columns = [positions[f.key] + 1 for f in copied]
    # Plain lists: pandas' own row iteration costs milliseconds a sheet, even empty.
    values = table.frame[[f.key for f in copied]].to_numpy().tolist()
    for excel_row, record in zip(table.frame.index.tolist(), values):
        for column, value in zip(columns, record):
            put_text_at(sheet, int(excel_row), column, value)


# --- Placing findings ----------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """Where a finding lands in the copy: one cell, else one row, else the sheet."""

    sheet: str
    cell: str | None = None
    row: int | None = None

    @property
    def link(self) -> str:
        if self.cell:
            return self.cell
        return f"A{self.row}" if self.row else "A1"


def _locate(finding: Finding, places: dict[str, _Places]) -> _Target | None:
    """The finding's place in the copy; None when its sheet is not in the copy."""
    sheet = finding.sheet
    if sheet is None or sheet not in places:
        return None
    row = finding.row if finding.row is not None and 1 <= finding.row <= _MAX_ROW else None
    # A finding about a missing column or label names no cell: it lands on
    # the header or value cell the copy put back.
    cell = _valid_ref(finding.cell) or places[sheet].cell(finding.column, row)
    return _Target(sheet, cell, None if cell else row)


# --- Anomalies ---------------------------------------------------------------


_Located = tuple[Finding, _Target | None]


def _write_anomalies(sheet: Sheet, located: list[_Located], scrub: _Scrubber) -> None:
    errors = sum(1 for f, _ in located if f.is_error)
    title = sheet.cell(1, 1)
    put_text(title, summary_line(errors, len(located) - errors))
    title.bold, title.size = True, 12
    for index, (label, width) in enumerate(ANOMALY_COLUMNS, start=1):
        put_label(sheet.cell(ANOMALY_HEADER_ROW, index), label)
        sheet.widths[index] = width
    for row, (finding, target) in enumerate(located, start=ANOMALY_HEADER_ROW + 1):
        _write_anomaly(sheet, row, finding, target, scrub)
    sheet.frozen_rows = ANOMALY_HEADER_ROW
    last = ANOMALY_HEADER_ROW + len(located)
    sheet.autofilter = (ANOMALY_HEADER_ROW, 1, last, len(ANOMALY_COLUMNS))


def _write_anomaly(
    sheet: Sheet, row: int, finding: Finding, target: _Target | None, scrub: _Scrubber
) -> None:
    place = target.cell if target is not None else _valid_ref(finding.cell)
    texts = {1: SEVERITY_LABELS[finding.severity], 2: finding.code, 3: scrub(finding.sheet),
             4: place or "", 6: scrub(finding.column), 7: scrub(finding.message)}
    for column, text in texts.items():
        put_text(sheet.cell(row, column), text)
    if finding.row is not None:
        sheet.cell(row, 5).number = finding.row  # our own number, not a read value
    sheet.cell(row, 1).fill = _strong_fill(finding)
    sheet.cell(row, 7).wrap = True
    # Past Excel's limit of links a sheet, a row keeps its text, unlinked.
    if target is not None and row - ANOMALY_HEADER_ROW <= _MAX_LINKS:
        # The link sits on the most precise place named: cell, else row, else sheet.
        column = 4 if target.cell else 5 if target.row else 3
        link(sheet.cell(row, column), target.sheet, target.link)


# --- Marking faulty cells ------------------------------------------------------


@dataclass
class _Marks:
    """What the cells of one sheet get: a fill rank and the comment's messages."""

    fills: dict[tuple[int, int], int] = field(default_factory=dict)
    notes: dict[tuple[int, int], list[str]] = field(default_factory=lambda: defaultdict(list))


# Higher rank wins when several findings touch one cell.
_FILL_RANKS = {1: WARNING_ROW_FILL, 2: ERROR_ROW_FILL, 3: WARNING_FILL, 4: ERROR_FILL}


def _mark_cells(book: Book, located: list[_Located], scrub: _Scrubber) -> None:
    marks: dict[str, _Marks] = defaultdict(_Marks)
    # A row fill spans the columns the sheet holds before any mark is added:
    # a mark on a far cell must not stretch the row fills of other findings.
    widths = {name: sheet.max_column for name, sheet in book.items()}
    for finding, target in located:
        if target is not None:
            _collect(widths[target.sheet], marks[target.sheet], finding, target, scrub)
    for name, sheet_marks in marks.items():
        _apply(book[name], sheet_marks)


def _collect(
    max_column: int, marks: _Marks, finding: Finding, target: _Target, scrub: _Scrubber
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


def _strong_fill(finding: Finding) -> str:
    return ERROR_FILL if finding.is_error else WARNING_FILL


# --- Keeping secrets out of our own text ------------------------------------------


class _Scrubber:
    """Masks secret values in the text we write.

    Our messages never quote a password or an answer; this is the second
    line of defence, should a rule ever quote a value that is also a secret
    (a password typed into the Login column, say).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is masked whole.
        kept = {s for s in secrets if len(s) >= MIN_SCRUBBED_SECRET}
        self._secrets = sorted(kept, key=len, reverse=True)

    def __call__(self, text: str | None) -> str:
        result = text or ""
        for secret in self._secrets:
            result = result.replace(secret, SCRUBBED)
        return result


def _secret_values(parsed: ParsedWorkbook | None) -> set[str]:
    if parsed is None:
        return set()
    values: set[str] = set()
    for form in (parsed.adherent, parsed.delegue):
        values.update(c.value for c in form.cells.values() if c.field.secret and c.value)
    for table in [*parsed.users.values(), parsed.categories]:
        for fld in table.fields:
            if fld.secret and fld.key in table.frame.columns:
                values.update(t for t in map(as_text, table.frame[fld.key]) if t)
    return values
