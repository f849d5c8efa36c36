"""Where a finding lands in the annotated copy: one cell, else one row, else its sheet.

A finding names a cell when the reader knew it; one about a missing column or
label names none, and lands on the header or value cell the copy put back
(`Spots`, from the places the copy gave each label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from provisioner.domain.findings import Finding
from provisioner.domain.keys import label_key
from provisioner.workbook import layout
from provisioner.workbook.places import Places, table_sheets
from provisioner.workbook.text import cell_ref

_CELL_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")
MAX_ROW = 1_048_576
_MAX_COLUMN = 16_384


@dataclass
class Spots:
    """Where the copy put the labels of one sheet, to place findings that name no cell.

    `spots` maps a label (as `label_key` sees it) to the value cell of a
    form, `(row, column)`, or to the column of a table, `(None, column)`.
    """

    spots: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    header_row: int = 1

    @classmethod
    def of(cls, sheet: str, places: Places) -> Spots:
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
class Target:
    """Where a finding lands in the copy: one cell, else one row, else the sheet."""

    sheet: str
    cell: str | None = None
    row: int | None = None

    @property
    def link(self) -> str:
        if self.cell:
            return self.cell
        return f"A{self.row}" if self.row else "A1"


Located = tuple[Finding, Target | None]


def locate(finding: Finding, spots: dict[str, Spots]) -> Target | None:
    """The finding's place in the copy; None when its sheet is not in the copy."""
    sheet = finding.sheet
    if sheet is None or sheet not in spots:
        return None
    row = finding.row if finding.row is not None and 1 <= finding.row <= MAX_ROW else None
    # A finding about a missing column or label names no cell: it lands on
    # the header or value cell the copy put back.
    cell = valid_ref(finding.cell) or spots[sheet].cell(finding.column, row)
    return Target(sheet, cell, None if cell else row)


def valid_ref(ref: str | None) -> str | None:
    """`ref` when it is a plain cell reference inside Excel's grid, else None."""
    if not ref or not _CELL_REF.fullmatch(ref):
        return None
    letters, row = coordinate_from_string(ref)
    if row > MAX_ROW or column_index_from_string(letters) > _MAX_COLUMN:
        return None
    return ref
