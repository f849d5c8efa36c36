"""Where the fields of each sheet sit: the template's own positions, or those a submitted workbook had.

A copy of a submitted workbook (annotated, archived, rebuilt) keeps every value, dropdown and mark where
the person left it, their columns in another order, say; the blank template and the pre-filled workbook
use the template's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.workbook import layout
from provisioner.workbook.layout import Field


@dataclass
class Places:
    """Where the fields of one sheet sit (1-based).

    A form: `rows` gives each field's row, `value_column` the column of the
    values (labels one to its left, help one to its right). A table:
    `columns` gives each field's column, headers in `header_row`.
    """

    rows: dict[str, int] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)
    header_row: int = 1
    value_column: int = 2

    def value_cell(self, key: str) -> tuple[int, int]:
        return self.rows[key], self.value_column


def template_places() -> dict[str, Places]:
    """The template's own positions: form fields from row 1, table columns from A, headers in row 1."""
    places = {form.name: Places(rows={f.key: row for row, f in enumerate(form.fields, start=1)})
              for form in layout.FORM_SHEETS}
    for name, columns in table_sheets():
        places[name] = Places(columns={f.key: index for index, f in enumerate(columns, start=1)})
    return places


def table_sheets() -> list[tuple[str, tuple[Field, ...]]]:
    return [*((t.sheet, t.columns) for t in layout.TELESERVICES),
            (layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS)]
