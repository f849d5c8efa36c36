"""xlsx → ParsedWorkbook: fast (python-calamine), safe (safety.py first), lenient as a person is.

Sheet names and labels match ignoring case, accents, a trailing `*` and
spaces; a table sheet is table_reader's, a cell's value cell_values'. What
cannot be read as the person meant it becomes a finding, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error, warning
from provisioner.domain.keys import label_key
from provisioner.wording import reading
from provisioner.workbook import layout
from provisioner.workbook.cell_values import CellReader, CellValue, Rows, cell_text
from provisioner.workbook.file_kind import check_kind
from provisioner.workbook.isolation import ChildFailed, readers
from provisioner.workbook.layout import Field
from provisioner.workbook.model import FormCell, FormData, ParsedWorkbook, TableData
from provisioner.workbook.safety import FileFacts, inspect_zip
from provisioner.workbook.sheet_extent import SheetFacts
from provisioner.workbook.table_reader import empty_table, read_table
from provisioner.workbook.text import cell_ref
from provisioner.workbook.unsafe_file import UnsafeFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class ReadResult:
    workbook: ParsedWorkbook | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.workbook is not None


def read_workbook(path: Path | str, *, name: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read a submitted workbook; `name` is the name the person gave it (defaults to the path's)."""
    path = Path(path)
    name = name or path.name
    try:
        check_kind(path, name, max_bytes)
        facts = inspect_zip(path)
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except UnsafeFile as exc:
        return ReadResult(None, [exc.finding])
    except Exception:  # calamine raises several unrelated types on corrupt input
        return ReadResult(None, [error(FindingCode.FILE_UNREADABLE, reading.DAMAGED_FILE)])
    try:
        return _Reader(book, facts, name).read()
    except Exception:
        return ReadResult(None, [error(FindingCode.FILE_UNREADABLE, reading.DAMAGED_SHEET)])
    finally:
        book.close()


def read_isolated(path: Path | str, *, name: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """`read_workbook` in a child process under memory and time limits (isolation.py).

    A child that dies is tried once more in a fresh one: the host's OOM
    killer may have taken it for reasons of its own; a file that kills two
    children is the cause. An overrun is not tried again.
    """
    path = Path(path)
    name = name or path.name
    for attempt in (1, 2):
        try:
            return readers().call(read_workbook, path, name=name, max_bytes=max_bytes)
        except ChildFailed as failure:
            if failure.kind == "timeout" or attempt == 2:
                return ReadResult(None, [_child_finding(failure.kind)])
    raise AssertionError("unreachable")


def _child_finding(kind: str) -> Finding:
    if kind == "timeout":
        return error(FindingCode.FILE_TOO_LARGE, reading.READ_TOO_LONG)
    if kind == "memory":
        return error(FindingCode.FILE_TOO_LARGE, reading.READ_TOO_BIG)
    return error(FindingCode.FILE_UNREADABLE, reading.READER_DIED)


class _Reader:
    def __init__(self, book: python_calamine.CalamineWorkbook, facts: FileFacts, name: str) -> None:
        self.book = book
        self.facts = facts
        self.name = name
        self.findings: list[Finding] = []
        self.sheet_names = {label_key(n): n for n in book.sheet_names}

    def read(self) -> ReadResult:
        self._check_sheets()
        users: dict[str, TableData] = {}
        for teleservice in layout.TELESERVICES:
            users[teleservice.key] = self._table(teleservice.sheet, teleservice.columns)
        total = sum(t.rows for t in users.values())
        if total > layout.MAX_USER_ROWS:
            return ReadResult(None, [error(FindingCode.FILE_TOO_LARGE,
                                           reading.too_many_rows(total, layout.MAX_USER_ROWS))])
        workbook = ParsedWorkbook(
            adherent=self._form(layout.ADHERENT_SHEET, layout.ADHERENT_FIELDS),
            delegue=self._form(layout.DELEGUE_SHEET, layout.DELEGUE_FIELDS),
            users=users,
            categories=self._table(layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS),
            file_name=self.name,
        )
        return ReadResult(workbook, self.findings)

    # -- sheets -------------------------------------------------------------

    def _check_sheets(self) -> None:
        expected = {label_key(s) for s in layout.SHEET_ORDER}
        for actual in self.book.sheet_names:
            state = self.facts.sheet_state.get(actual, "visible")
            if label_key(actual) not in expected:
                self.findings.append(warning(FindingCode.UNKNOWN_SHEET, reading.unknown_sheet(actual), sheet=actual))
            elif state != "visible" and label_key(actual) != label_key(layout.README_SHEET):
                self.findings.append(error(FindingCode.HIDDEN_CONTENT, reading.hidden_sheet(actual), sheet=actual))
        for sheet in layout.SHEET_ORDER[1:]:
            if label_key(sheet) not in self.sheet_names:
                self.findings.append(error(FindingCode.TEMPLATE_MISMATCH,
                                           reading.missing_sheet(sheet, layout.TEMPLATE_VERSION), sheet=sheet))

    def _rows(self, sheet: str) -> tuple[Rows, int, int, SheetFacts] | None:
        actual = self.sheet_names.get(label_key(sheet))
        if actual is None:
            return None
        data = self.book.get_sheet_by_name(actual)
        start_row, start_col = (data.start or (0, 0)) if data.height else (0, 0)
        return data.to_python(), start_row, start_col, self.facts.sheets.get(actual, SheetFacts())

    def _table(self, sheet: str, fields: tuple[Field, ...]) -> TableData:
        loaded = self._rows(sheet)
        if loaded is None:
            return empty_table(sheet, fields)
        return read_table(sheet, fields, *loaded, self.findings)

    # -- forms --------------------------------------------------------------

    def _form(self, sheet: str, fields: tuple[Field, ...]) -> FormData:
        form = FormData(sheet, {})
        loaded = self._rows(sheet)
        by_label = {label_key(f.label): f for f in fields}
        found: dict[str, tuple[str, int]] = {}
        if loaded is not None:
            rows, start_row, start_col, facts = loaded
            cells = CellReader(sheet, facts)
            if start_col > 0:
                blank: list[CellValue] = [""] * start_col
                rows = [blank + r for r in rows]
            for offset, row in enumerate(rows):
                excel_row = start_row + offset + 1
                if not row or label_key(cell_text(row[0])) not in by_label:
                    continue
                fld = by_label[label_key(cell_text(row[0]))]
                if fld.key in found:
                    continue  # first occurrence wins; a copy below is ignored
                raw = row[1] if len(row) > 1 else ""
                value = cells.value(fld, raw, excel_row, 1, self.findings)
                found[fld.key] = (value, excel_row)
                if excel_row in facts.hidden_rows and value:
                    self.findings.append(error(FindingCode.HIDDEN_CONTENT, reading.hidden_form_row(fld.label),
                                               sheet=sheet, row=excel_row, column=fld.label,
                                               cell=cell_ref(excel_row, 1)))
        for fld in fields:
            if fld.key in found:
                value, at = found[fld.key]
                form.cells[fld.key] = FormCell(fld, value, at, cell_ref(at, 1))
            else:
                form.cells[fld.key] = FormCell(fld, "", None, None)
                form.missing.add(fld.key)
                if loaded is not None:
                    self.findings.append(error(FindingCode.TEMPLATE_MISMATCH, reading.missing_label(fld.label, sheet),
                                               sheet=sheet, column=fld.label))
        return form
