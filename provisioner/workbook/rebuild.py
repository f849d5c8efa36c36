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
sheets with findings are coloured.
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

from provisioner.domain.findings import Finding, Severity
from provisioner.domain.keys import label_key
from provisioner.workbook import layout
from provisioner.workbook.findings import split
from provisioner.workbook.layout import ANOMALIES_SHEET, Field
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.readme import FIX_ADVICE
from provisioner.workbook.render import Places, finish, fit_row, render, table_sheets
from provisioner.workbook.text import cell_ref
from provisioner.workbook.xlsx_writer import (
    COMMENT_AUTHOR,
    CREATOR,
    Book,
    Cell,
    Page,
    Sheet,
    add_sheet,
    as_text,
    link,
    put_label,
    put_text,
    put_text_at,
    to_xlsx,
)

__all__ = ["ANOMALIES_SHEET", "COMMENT_AUTHOR", "CREATOR", "SECRET_FILL", "build_copy",
           "secret_note", "summary_line", "write_copy"]

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
NOTE_COLOR = "9C0006"

SECRET_NOTES = {
    layout.Kind.PASSWORD: "Mot de passe à ressaisir : il n'est jamais renvoyé.",
    layout.Kind.ANSWER: "Réponse à ressaisir : elle n'est jamais renvoyée.",
}

SECRET_COLUMN_NOTES = {
    layout.Kind.PASSWORD: "Cellules en mauve : mots de passe à ressaisir ; ils ne sont jamais renvoyés.",
    layout.Kind.ANSWER: "Cellules en mauve : réponses à ressaisir ; elles ne sont jamais renvoyées.",
}
SECRET_NOTE_LIMIT = 500  # cells commented one by one; past it, the column header's note says it

SEVERITY_LABELS = {Severity.ERROR: "Erreur", Severity.WARNING: "Avertissement"}
ANOMALY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Gravité", 15), ("Code", 26), ("Feuille", 24), ("Cellule", 10),
    ("Ligne", 8), ("Colonne", 30), ("Message", 90),
)
ANOMALY_HEADER_ROW = 2  # row 1 holds the summary line

# Secret values shorter than this are not scrubbed from messages: "Oui" or
# "1" as an answer would otherwise blank ordinary words of our own messages.
MIN_SCRUBBED_SECRET = 4
SCRUBBED = "•••"

_CELL_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")
_MAX_ROW = 1_048_576
_MAX_COLUMN = 16_384
_MAX_LINKS = 65_530  # Excel's limit of links on one sheet (XlsxWriter refuses more)
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
        scrub = _Scrubber(_secret_values(parsed))
        errors, warnings = split(list(findings))
        spots = {name: _Spots.of(name, p) for name, p in places.items()}
        located = [(f, _locate(f, spots)) for f in [*errors, *warnings]]
        _write_anomalies(anomalies, located, scrub)
        _mark_cells(book, located, scrub)
        _mark_secrets(book, _emptied_secrets(parsed, places), places)
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
    _save_atomically(build_copy(parsed, findings, annotate=annotate), path)
    return path


def summary_line(errors: int, warnings: int) -> str:
    """The title line of the `Anomalies` sheet, in French."""
    counts = f"{_count(errors, 'erreur', feminine=True)} et {_count(warnings, 'avertissement')}"
    if errors:
        return f"Le fichier a été refusé : {counts}. {FIX_ADVICE}"
    erased = "les mots de passe et les réponses secrètes ne sont jamais recopiés."
    if warnings:
        return f"{counts[0].upper()}{counts[1:]}. Vérifiez les cellules en orange ; {erased}"
    return f"Aucune anomalie ; {erased}"


def secret_note(fld: Field) -> str:
    """The comment on an emptied secret cell of the annotated copy."""
    return SECRET_NOTES[fld.kind]


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
        where = " Voir la feuille « Anomalies »." if annotate else ""
        return ("Le fichier reçu n'a pas pu être lu : cette copie ne contient aucune de ses "
                "valeurs." + where)
    if annotate:
        return ("Copie annotée du fichier envoyé : commencez par la feuille « Anomalies », qui liste "
                "les cellules à corriger. Les mots de passe et les réponses secrètes n'y sont jamais "
                "recopiés : leurs cellules sont marquées en mauve.")
    return ("Copie d'archive du fichier reçu, reconstituée à partir des valeurs lues : voir la feuille "
            "« Adhérent ». Les mots de passe et les réponses secrètes en ont été effacés.")


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


def _emptied_secrets(parsed: ParsedWorkbook | None,
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


# --- Placing findings ----------------------------------------------------------


@dataclass
class _Spots:
    """Where the copy put the labels of one sheet, to place findings that name no cell.

    `spots` maps a label (as `label_key` sees it) to the value cell of a
    form, `(row, column)`, or to the column of a table, `(None, column)`.
    """

    spots: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    header_row: int = 1

    @classmethod
    def of(cls, sheet: str, places: Places) -> _Spots:
        if places.rows:
            fields = next(f.fields for f in layout.FORM_SHEETS if f.name == sheet)
            return cls({label_key(f.label): places.value_cell(f.key) for f in fields})
        columns = dict(table_sheets())[sheet]
        return cls({label_key(f.label): (None, places.columns[f.key]) for f in columns}, places.header_row)

    def cell(self, column: str | None, row: int | None) -> str | None:
        spot = self.spots.get(label_key(column)) if column else None
        if spot is None:
            return None
        fixed_row, index = spot
        return cell_ref(fixed_row or row or self.header_row, index - 1)


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


def _locate(finding: Finding, spots: dict[str, _Spots]) -> _Target | None:
    """The finding's place in the copy; None when its sheet is not in the copy."""
    sheet = finding.sheet
    if sheet is None or sheet not in spots:
        return None
    row = finding.row if finding.row is not None and 1 <= finding.row <= _MAX_ROW else None
    # A finding about a missing column or label names no cell: it lands on
    # the header or value cell the copy put back.
    cell = _valid_ref(finding.cell) or spots[sheet].cell(finding.column, row)
    return _Target(sheet, cell, None if cell else row)


# --- Anomalies ---------------------------------------------------------------


_Located = tuple[Finding, _Target | None]


def _write_anomalies(sheet: Sheet, located: list[_Located], scrub: _Scrubber) -> None:
    errors = sum(1 for f, _ in located if f.is_error)
    width = sum(w for _, w in ANOMALY_COLUMNS)
    title = sheet.cell(1, 1)
    put_text(title, summary_line(errors, len(located) - errors))
    title.bold, title.size, title.wrap = True, 12, True
    sheet.merges.append((1, 1, 1, len(ANOMALY_COLUMNS)))
    fit_row(sheet, 1, title.text, width * 0.85)  # 12-point letters are wider
    for index, (label, column_width) in enumerate(ANOMALY_COLUMNS, start=1):
        put_label(sheet.cell(ANOMALY_HEADER_ROW, index), label)
        sheet.widths[index] = column_width
    for row, (finding, target) in enumerate(located, start=ANOMALY_HEADER_ROW + 1):
        _write_anomaly(sheet, row, finding, target, scrub)
    sheet.frozen_rows = ANOMALY_HEADER_ROW
    last = ANOMALY_HEADER_ROW + len(located)
    sheet.autofilter = (ANOMALY_HEADER_ROW, 1, last, len(ANOMALY_COLUMNS))
    sheet.page = Page(landscape=True, repeat_rows=ANOMALY_HEADER_ROW,
                      area=(1, 1, last, len(ANOMALY_COLUMNS)))


def _write_anomaly(
    sheet: Sheet, row: int, finding: Finding, target: _Target | None, scrub: _Scrubber
) -> None:
    place = target.cell if target is not None else _valid_ref(finding.cell)
    texts = {1: SEVERITY_LABELS[finding.severity], 2: finding.code, 3: scrub(finding.sheet),
             4: place or "", 6: scrub(finding.column), 7: scrub(finding.message)}
    for column, text in texts.items():
        cell = sheet.cell(row, column)
        put_text(cell, text)
        cell.wrap = True
    if finding.row is not None:
        sheet.cell(row, 5).number = finding.row  # our own number, not a read value
    sheet.cell(row, 1).fill = _strong_fill(finding)
    # Every wrapped cell of the row must fit: the message mostly, a long column name at times.
    for column, text in texts.items():
        fit_row(sheet, row, text, ANOMALY_COLUMNS[column - 1][1])
    # Past Excel's limit of links a sheet, a row keeps its text, unlinked.
    if target is not None and row - ANOMALY_HEADER_ROW <= _MAX_LINKS:
        # The link sits on the most precise place named: cell, else row, else sheet.
        column = 4 if target.cell else 5 if target.row else 3
        link(sheet.cell(row, column), target.sheet, target.link)


# --- Marking faulty cells and emptied secrets ----------------------------------------


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
            tab = ERROR_TAB if finding.is_error else WARNING_TAB
            if book[target.sheet].tab_color != ERROR_TAB:
                book[target.sheet].tab_color = tab
    for name, sheet_marks in marks.items():
        _apply(book[name], sheet_marks)


def _mark_secrets(book: Book, emptied: dict[str, dict[tuple[int, int], Field]],
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
        for (row, column), fld in cells.items():
            cell = sheet.cell(row, column)
            if cell.fill not in (ERROR_FILL, WARNING_FILL):
                cell.fill = SECRET_FILL
            if noted < SECRET_NOTE_LIMIT:
                cell.note = [*(cell.note or []), secret_note(fld)]
                noted += 1
        if not places[name].rows:  # a table: one note on each secret column's header
            header = places[name].header_row
            for column, fld in {column: fld for (_, column), fld in cells.items()}.items():
                sheet.cell(header, column).note = [SECRET_COLUMN_NOTES[fld.kind]]


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
