"""A table sheet (a téléservice's users, `Catégories`) → TableData: its header row, then its rows.

Headers match ignoring case, accents, a trailing `*` and spaces; columns may
come in any order; blank rows are skipped. The cells are read column by
column (cell_values.py): a 5,000-user sheet is some 100,000 cells, and most
columns are plain text. The findings come out as a row-by-row reading lists
them: each row's cells left to right, then the row's own.
"""

from __future__ import annotations

from operator import itemgetter

import pandas as pd

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error, warning
from provisioner.domain.keys import label_key
from provisioner.wording import reading
from provisioner.workbook.cell_values import CellReader, CellValue, Rows, cell_text
from provisioner.workbook.layout import Field
from provisioner.workbook.model import TableData
from provisioner.workbook.sheet_extent import SheetFacts
from provisioner.workbook.text import cell_ref, column_letter

HEADER_SEARCH_ROWS = 5  # a header pushed down by a few blank rows is still found



def empty_table(sheet: str, fields: tuple[Field, ...]) -> TableData:
    keys = [f.key for f in fields]
    return TableData(sheet, fields, frame(keys, {}, []), {}, set(keys))


def read_table(sheet: str, fields: tuple[Field, ...], rows: Rows, start_row: int, start_col: int,
               facts: SheetFacts, findings: list[Finding]) -> TableData:
    """The table of `sheet` (its rows start at Excel row start_row + 1, column start_col)."""
    keys = [f.key for f in fields]
    header_offset = next((i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(cell_text(v) for v in r)),
                         None)
    if header_offset is None:
        findings.append(error(FindingCode.TEMPLATE_MISMATCH, reading.missing_header_row(sheet), sheet=sheet, row=1))
        return empty_table(sheet, fields)
    header_row = start_row + header_offset + 1
    letters = _headers(sheet, fields, rows[header_offset], start_col, header_row, facts, findings)
    cells = CellReader(sheet, facts)
    # A formula saved without its result reads as "" (and may lie past calamine's range): still seen.
    marked_rows = {r for r, _ in cells.marked}
    last = max([len(rows)] + [r - start_row for r in marked_rows])
    # The rows with anything in them (list.count: a C loop; calamine gives "" for an empty cell, never None).
    excel_rows: list[int] = []
    lines: Rows = []
    for offset in range(header_offset + 1, last):
        row = rows[offset] if offset < len(rows) else []
        excel_row = start_row + offset + 1
        if excel_row in marked_rows or row.count("") < len(row):
            excel_rows.append(excel_row)
            lines.append(row)
    by_key = {f.key: f for f in fields}
    cell_findings: list[tuple[int, int, Finding]] = []  # row index, column order, finding
    columns: dict[str, list[str]] = {}
    for order, ((key, col), raws) in enumerate(zip(letters.items(), _columns(lines, letters, start_col))):
        found: list[tuple[int, Finding]] = []
        columns[key] = cells.column(by_key[key], raws, excel_rows, col, found)
        cell_findings += [(index, order, finding) for index, finding in found]
    # Data only in unknown columns: nothing for us, said by UNKNOWN_COLUMN.
    kept = [index for index, values in enumerate(zip(*columns.values())) if any(values)]
    if len(kept) < len(excel_rows):
        columns = {key: [values[i] for i in kept] for key, values in columns.items()}
    hidden = len(letters)  # after the row's cells
    cell_findings += [(index, hidden, error(FindingCode.HIDDEN_CONTENT, reading.hidden_table_row(excel_rows[index]),
                                            sheet=sheet, row=excel_rows[index]))
                      for index in kept if excel_rows[index] in facts.hidden_rows]
    cell_findings.sort(key=lambda found: found[:2])  # stable: one cell's findings stay in their order
    findings += [finding for *_, finding in cell_findings]
    return TableData(sheet, fields, frame(keys, columns, [excel_rows[i] for i in kept]), letters,
                     set(keys) - set(letters), header_row)


def _columns(lines: Rows, letters: dict[str, int], start_col: int) -> list[list[CellValue]]:
    """The cells of each found column, in `letters`' order: one C-level pass over the rows."""
    if not letters or not lines:
        return [[] for _ in letters]
    positions = [col - start_col for col in letters.values()]
    width = max(positions) + 1
    if min(map(len, lines)) < width:  # calamine's rows share one width; a row past its range is []
        lines = [line + [""] * (width - len(line)) if len(line) < width else line for line in lines]
    if len(positions) == 1:
        return [[line[positions[0]] for line in lines]]
    return [list(column) for column in zip(*map(itemgetter(*positions), lines))]


def _headers(sheet: str, fields: tuple[Field, ...], header: list[CellValue], start_col: int, header_row: int,
             facts: SheetFacts, findings: list[Finding]) -> dict[str, int]:
    by_label = {label_key(f.label): f for f in fields}
    letters: dict[str, int] = {}
    for pos, raw in enumerate(header):
        text = cell_text(raw)
        if not text:
            continue
        col = start_col + pos
        fld = by_label.get(label_key(text))
        where = {"sheet": sheet, "row": header_row, "cell": cell_ref(header_row, col)}
        if fld is None:
            findings.append(warning(FindingCode.UNKNOWN_COLUMN, reading.unknown_column(text), column=text, **where))
        elif fld.key in letters:
            duplicate = reading.duplicate_column(fld.label, column_letter(col))
            findings.append(error(FindingCode.TEMPLATE_MISMATCH, duplicate, column=fld.label, **where))
        else:
            letters[fld.key] = col
            if col in facts.hidden_cols:
                findings.append(error(FindingCode.HIDDEN_CONTENT, reading.hidden_column(fld.label),
                                      column=fld.label, **where))
    for fld in fields:
        if fld.key not in letters:
            findings.append(error(FindingCode.TEMPLATE_MISMATCH, reading.missing_column(fld.label, sheet),
                                  sheet=sheet, row=header_row, column=fld.label))
    return letters


def frame(keys: list[str], columns: dict[str, list[str]], index: list[int]) -> pd.DataFrame:
    """The table's frame: every key a column of str ("" where the sheet lacks it), indexed by Excel row."""
    blank = [""] * len(index)
    return pd.DataFrame({key: columns.get(key, blank) for key in keys}, columns=keys,
                        index=pd.Index(index, name="row", dtype="int64"), dtype=object)
