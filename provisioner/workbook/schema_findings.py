"""A workbook judged by the schemas (schemas.py): each failing cell → its finding, most basic first.

pandera tells which rows fail a schema's one check; which test or rule failed
on them, and on which cell, is found afterwards for those rows only, and each
is worded by check_messages.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Mapping
from typing import SupportsInt, cast

import pandas as pd

from provisioner.domain.findings import Finding, error
from provisioner.workbook.check_messages import CODE_PRIORITY, RULES, MessageContext
from provisioner.workbook.layout import Field
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.schemas import (
    CELL_COLUMNS,
    CELL_TESTS,
    ROW_RULES,
    RowSchema,
    cell_test_names,
    cell_tests,
    cells_schema,
    failed_cell_tests,
    row_schema,
    tested_keys,
)
from provisioner.workbook.validation_stack import pa

logger = logging.getLogger(__name__)


def validate_workbook(parsed: ParsedWorkbook) -> list[Finding]:
    """Every single-sheet failure of `parsed` (already normalised), most basic first per cell."""
    request = parsed.request_type
    findings = validate_cells((parsed.adherent, parsed.delegue),
                              [table for _, table in parsed.tables()] + [parsed.categories], request)
    for teleservice, table in parsed.tables():
        findings += validate_rows(row_schema(teleservice.key), table, request)
    return sorted(findings, key=lambda f: CODE_PRIORITY.get(f.code, len(CODE_PRIORITY)))


# Where a row of the long frame came from: a form's field, or a table's cell.
_FormPlace = tuple[FormData, str]
_TablePlace = tuple[TableData, int, str]


def validate_cells(forms: tuple[FormData, ...], tables: list[TableData],
                   request: str | None) -> list[Finding]:
    # The long frame built column by column, a run per form field or table column (list
    # operations, not a tuple per cell); a failing row is traced back to its run.
    runs: list[tuple[int, FormData | TableData, str, list[int]]] = []  # start, where, key, Excel rows
    sheets: list[str] = []
    keys: list[str] = []
    values: list[str] = []
    for form in forms:
        for key in form.cells:
            if not cell_tests(form.sheet, key, request):
                continue  # like a table's untested columns: no row in the long frame
            runs.append((len(values), form, key, []))
            sheets.append(form.sheet)
            keys.append(key)
            values.append(form.value(key))
    for table in tables:
        if table.frame.empty:
            continue
        excel_rows = table.frame.index.tolist()
        for key in tested_keys(table.sheet, table.fields):
            runs.append((len(values), table, key, excel_rows))
            sheets += [table.sheet] * len(excel_rows)
            keys += [key] * len(excel_rows)
            values += table.frame[key].tolist()
    frame = pd.DataFrame({"sheet": sheets, "key": keys, "value": values}, columns=list(CELL_COLUMNS), dtype=object)
    starts = [start for start, *_ in runs]
    failed: dict[int, tuple[_FormPlace | _TablePlace, set[str]]] = {}
    for index in _failed_rows(cells_schema(request), frame, CELL_TESTS):
        start, where, key, excel_rows = runs[bisect_right(starts, index) - 1]
        place: _FormPlace | _TablePlace = ((where, key) if isinstance(where, FormData)
                                           else (where, excel_rows[index - start], key))
        failed[index] = place, failed_cell_tests(sheets[index], key, values[index], request)
    findings: list[Finding] = []
    # Listed test by test, then row by row, as when each test was a check of its own.
    for check, place in [(name, place) for name in cell_test_names(request) for place, names in failed.values()
                         if name in names]:
        if len(place) == 2:
            form, key = place
            if key in form.missing:
                continue  # a missing label is already a TEMPLATE_MISMATCH
            form_values = {k: form.value(k) for k in form.cells}
            findings.append(_finding(check, form.cells[key].field, form_values, request, form.where(key)))
        else:
            table, row, key = place
            if key in table.missing:
                continue  # a missing column is already a TEMPLATE_MISMATCH
            findings.append(_finding(check, table.field(key), _row_values(table, row), request,
                                     table.where(row, key)))
    return findings


def validate_rows(sheet: RowSchema, table: TableData, request: str | None) -> list[Finding]:
    if table.frame.empty:
        return []  # most sheets of a typical workbook are empty: a pandera call costs even then
    failed = _failed_rows(sheet.schema, table.frame, ROW_RULES)
    if not failed:
        return []
    verdicts = sheet.judge(table.frame)
    position = {row: i for i, row in enumerate(table.frame.index.tolist())}
    findings: list[Finding] = []
    # Listed rule by rule, then row by row, as when each rule was a check of its own.
    for rule in sheet.rules:
        for row in failed:
            for key, passed in verdicts[rule.name].items():
                if passed[position[row]] or key in table.missing:
                    continue  # a missing column is already a TEMPLATE_MISMATCH
                findings.append(_finding(rule.name, table.field(key), _row_values(table, row), request,
                                         table.where(row, key)))
    return findings


def _row_values(table: TableData, row: int) -> dict[str, str]:
    return {str(k): str(v) for k, v in table.frame.loc[row].items()}


def _finding(check: str, fld: Field, values: Mapping[str, str], request: str | None,
             where: dict[str, object]) -> Finding:
    rule = RULES[check]
    value = "" if fld.secret else values.get(fld.key, "")  # a secret is never quoted
    return error(rule.code, rule.message(fld, value, MessageContext(values, request)), **where)


def _failed_rows(schema: pa.DataFrameSchema, frame: pd.DataFrame, check: str) -> list[int]:
    """The index of every row failing `check`, in order: pandera lists each cell of a failing row."""
    return sorted({row for name, row, _column in _cases(schema, frame) if name == check})


def _cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(check name, row, column) of each failure case pandera reports for our checks.

    Never log or re-raise the SchemaErrors themselves: their text quotes the
    failing values, passwords included.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.to_dict("records")
    else:
        return []
    found = []
    for case in cases:
        check = str(case.get("check"))
        if check not in (CELL_TESTS, ROW_RULES):
            # pandera's own structural checks; the reader guarantees the columns.
            logger.warning("unexpected schema failure %s in %s", check, schema.name)
            continue
        row = _row(case.get("index"))
        if row is None:
            # A check that crashed reports no row: do not call the sheet valid.
            raise RuntimeError(f"check {check} of {schema.name} failed to run")
        found.append((check, row, str(case.get("column"))))
    return found


def _row(index: object) -> int | None:
    if index is None or (isinstance(index, float) and index != index):
        return None
    try:
        return int(cast("SupportsInt", index))
    except (TypeError, ValueError):
        return None
