"""pandera schemas for a workbook, and their failures turned into findings at the cell.

Every check is named; `check_messages.RULES` maps that name to the spec's code
and a French message. What one value must be is value_checks'; the rules across
a row's cells are row_rules'. Two kinds of schema:

- `cells_schema`: every single-cell test (formats, closed lists, required
  form fields) over a long frame, one row per cell of the two forms and of
  every table, in one check;
- `row_schema`, per téléservice: the rules across a row's cells (the record
  an action needs, the password pair, E@syPaiement powers), judged row by
  row on the table's own frame, in one check.

pandera tells which rows fail; which test or rule failed on them, and on
which cell, is found afterwards for those rows only. One check per schema
because each check costs pandera about 0.15 ms per call whatever it judges:
one per test and rule was 22 checks, some 3 ms of the service's CPU, for
every workbook.

Either way each failure names its sheet, row and field, so its cell.
Schemas are built once (per request type where required fields depend on
it) and cached for the life of the process. Everything here judges one
sheet at a time; what needs two sheets or the request type beyond
"required" lives in rules.py.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import SupportsInt, cast

import numpy as np
import pandas as pd

from provisioner.domain.findings import Finding, error
from provisioner.workbook import layout
from provisioner.workbook.check_messages import CODE_PRIORITY, RULES, MessageContext
from provisioner.workbook.layout import Field
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.row_rules import (
    Cells,
    RowRule,
    columns_of,
    easypaiement_role,
    password_pair,
    record_required,
)
from provisioner.workbook.validation_stack import pa
from provisioner.workbook.value_checks import Predicate, field_tests

logger = logging.getLogger(__name__)


# --- Schemas (built once) --------------------------------------------------------


# Cell tests (formats, closed lists, required form fields) are judged in long
# format: one row per cell (sheet, key, value), for the two forms and every
# table of a workbook at once, in one pandera check (see the module's
# docstring). Row rules need a row's cells side by side: they run on each
# table's own frame.
_CELL_COLUMNS = ("sheet", "key", "value")
CELL_TESTS = "cell_tests"  # the one check of `cells_schema`
ROW_RULES = "row_rules"  # the one check of each `row_schema`


def _not_blank(value: str) -> bool:
    return value != ""


@cache
def _cell_tests(sheet: str, key: str, request_type: str | None) -> dict[str, Predicate]:
    """The tests of one cell, by check name."""
    form_field = layout.FORM_FIELD.get((sheet, key))
    if form_field is not None:
        # A form's passwords are rules.py's: whether the policy applies depends
        # on the request type and on which password it is.
        tests = field_tests(form_field)
        if _required(form_field, request_type):
            tests["required"] = _not_blank
        return tests
    # Only "password" meets the policy: its confirmation equals it or is a mismatch.
    tests = field_tests(layout.TABLE_FIELD[(sheet, key)], password_policy=key == "password")
    if sheet == layout.CATEGORIES_SHEET and key == "login":
        tests["category_login_required"] = _not_blank
    return tests


@cache
def _tested_keys(sheet: str, fields: tuple[Field, ...]) -> tuple[str, ...]:
    """The columns of a table with a cell test: the others need no row in the long frame."""
    return tuple(f.key for f in fields if _cell_tests(sheet, f.key, None))


@cache
def cell_test_names(request_type: str | None) -> tuple[str, ...]:
    """Every kind of cell test, in the order their findings are listed."""
    return tuple(sorted({name for sheet, key in [*layout.FORM_FIELD, *layout.TABLE_FIELD]
                         for name in _cell_tests(sheet, key, request_type)}))


@cache
def cells_schema(request_type: str | None) -> pa.DataFrameSchema:
    """Every cell test of a workbook, over the long frame."""
    return pa.DataFrameSchema(checks=[pa.Check(_cells_pass(request_type), name=CELL_TESTS, ignore_na=False)],
                              name="cells")


def _cells_pass(request_type: str | None) -> Callable[[pd.DataFrame], pd.Series]:
    def passes(frame: pd.DataFrame) -> pd.Series:
        sheets, keys = frame["sheet"].to_numpy(), frame["key"].to_numpy()
        values = frame["value"].tolist()
        out = np.ones(len(values), dtype=bool)
        # The cells of one column are consecutive rows: one run each, its tests
        # looked up once (5,000 users: 60,000 rows).
        starts = [0, *(np.flatnonzero((sheets[1:] != sheets[:-1]) | (keys[1:] != keys[:-1])) + 1)]
        for start, end in zip(starts, [*starts[1:], len(values)]):
            tests = _cell_tests(sheets[start], keys[start], request_type).values()
            if tests:
                # Each distinct value judged once: blanks, closed lists and repeats are most cells.
                run = values[start:end]
                distinct = set(run)
                verdict = dict.fromkeys(distinct, True)
                for test in tests:
                    verdict.update((value, False) for value in distinct if verdict[value] and not test(value))
                out[start:end] = list(map(verdict.__getitem__, run))
        return pd.Series(out, index=frame.index)

    return passes


def _failed_cell_tests(sheet: str, key: str, value: str, request_type: str | None) -> set[str]:
    """The names of the tests one cell fails (pandera said it fails one at least)."""
    return {name for name, test in _cell_tests(sheet, key, request_type).items() if not test(value)}


@dataclass(frozen=True)
class RowSchema:
    """The row rules of one téléservice's table as a pandera schema of one check, and the rules in order."""

    schema: pa.DataFrameSchema
    rules: tuple[RowRule, ...]

    def judge(self, frame: pd.DataFrame) -> dict[str, Cells]:
        """Each rule's verdict on each of its cells, every row at once, by rule name."""
        return _judge(self.rules, frame)


def _judge(rules: tuple[RowRule, ...], frame: pd.DataFrame) -> dict[str, Cells]:
    columns = columns_of(frame)
    return {rule.name: rule.cells(columns) for rule in rules}


@cache
def row_schema(teleservice_key: str) -> RowSchema:
    teleservice = layout.TELESERVICE_BY_KEY[teleservice_key]
    rules = [record_required(layout.COMMON_RECORD_KEYS + teleservice.record_keys), *password_pair()]
    if {"ordonnateur", "validateur"} <= {c.key for c in teleservice.columns}:
        rules.append(easypaiement_role())
    ordered = tuple(rules)

    def passes(frame: pd.DataFrame) -> pd.Series:
        verdicts = [passed for cells in _judge(ordered, frame).values() for passed in cells.values()]
        return pd.Series(np.logical_and.reduce(verdicts), index=frame.index)

    schema = pa.DataFrameSchema(checks=[pa.Check(passes, name=ROW_RULES, ignore_na=False)], name=teleservice.sheet)
    return RowSchema(schema, ordered)


def _required(fld: Field, request_type: str | None) -> bool:
    if request_type is None:  # blank or unknown type: only what every type needs
        return fld.required_for >= layout.ALWAYS
    return request_type in fld.required_for


# --- Validation → findings ---------------------------------------------------------


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
            if not _cell_tests(form.sheet, key, request):
                continue  # like a table's untested columns: no row in the long frame
            runs.append((len(values), form, key, []))
            sheets.append(form.sheet)
            keys.append(key)
            values.append(form.value(key))
    for table in tables:
        if table.frame.empty:
            continue
        excel_rows = table.frame.index.tolist()
        for key in _tested_keys(table.sheet, table.fields):
            runs.append((len(values), table, key, excel_rows))
            sheets += [table.sheet] * len(excel_rows)
            keys += [key] * len(excel_rows)
            values += table.frame[key].tolist()
    frame = pd.DataFrame({"sheet": sheets, "key": keys, "value": values}, columns=list(_CELL_COLUMNS), dtype=object)
    starts = [start for start, *_ in runs]
    failed: dict[int, tuple[_FormPlace | _TablePlace, set[str]]] = {}
    for index in _failed_rows(cells_schema(request), frame, CELL_TESTS):
        start, where, key, excel_rows = runs[bisect_right(starts, index) - 1]
        place: _FormPlace | _TablePlace = ((where, key) if isinstance(where, FormData)
                                           else (where, excel_rows[index - start], key))
        failed[index] = place, _failed_cell_tests(sheets[index], key, values[index], request)
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
