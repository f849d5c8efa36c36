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

Either way each failure names its sheet, row and field, so its cell
(schema_findings.py turns them into findings). Schemas are built once (per request type where required fields depend on
it) and cached for the life of the process. Everything here judges one
sheet at a time; what needs two sheets or the request type beyond
"required" lives in rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from provisioner.workbook import layout
from provisioner.workbook.layout import Field
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

# --- Schemas (built once) --------------------------------------------------------


# Cell tests (formats, closed lists, required form fields) are judged in long
# format: one row per cell (sheet, key, value), for the two forms and every
# table of a workbook at once, in one pandera check (see the module's
# docstring). Row rules need a row's cells side by side: they run on each
# table's own frame.
CELL_COLUMNS = ("sheet", "key", "value")
CELL_TESTS = "cell_tests"  # the one check of `cells_schema`
ROW_RULES = "row_rules"  # the one check of each `row_schema`


def _not_blank(value: str) -> bool:
    return value != ""


@cache
def cell_tests(sheet: str, key: str, request_type: str | None) -> dict[str, Predicate]:
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
def tested_keys(sheet: str, fields: tuple[Field, ...]) -> tuple[str, ...]:
    """The columns of a table with a cell test: the others need no row in the long frame."""
    return tuple(f.key for f in fields if cell_tests(sheet, f.key, None))


@cache
def cell_test_names(request_type: str | None) -> tuple[str, ...]:
    """Every kind of cell test, in the order their findings are listed."""
    return tuple(sorted({name for sheet, key in [*layout.FORM_FIELD, *layout.TABLE_FIELD]
                         for name in cell_tests(sheet, key, request_type)}))


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
            tests = cell_tests(sheets[start], keys[start], request_type).values()
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


def failed_cell_tests(sheet: str, key: str, value: str, request_type: str | None) -> set[str]:
    """The names of the tests one cell fails (pandera said it fails one at least)."""
    return {name for name, test in cell_tests(sheet, key, request_type).items() if not test(value)}


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
