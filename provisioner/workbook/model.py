"""What the reader makes of a workbook: every value as trimmed text, with its place.

Blank cells are "" (never NaN/None), so `NA`, `null` or `None` typed by a
person stay the strings they are. Secret cells are kept here because the
apply engine hashes them; nothing that writes an output may copy them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from provisioner.domain.keys import label_key
from provisioner.domain.vocabulary import ADHERENT_DETAIL_KEYS, DELEGUE_DETAIL_KEYS, RequestType
from provisioner.workbook import layout
from provisioner.workbook.layout import Field, UserSheet
from provisioner.workbook.text import cell_ref


@dataclass(frozen=True)
class FormCell:
    """The value of one label of a form sheet, and where it was read."""

    field: Field
    value: str
    row: int | None  # None when the label is missing from the sheet
    cell: str | None  # the value cell, `B7`


@dataclass
class FormData:
    """A form sheet (`Adhérent`, `Délégué`): label in column A, value in column B."""

    sheet: str
    cells: dict[str, FormCell]
    missing: set[str] = field(default_factory=set)  # field keys whose label is absent

    def value(self, key: str) -> str:
        cell = self.cells.get(key)
        return cell.value if cell else ""

    def where(self, key: str) -> dict[str, object]:
        """The finding location of one field: sheet, row, column (label), cell."""
        cell = self.cells[key]
        return {"sheet": self.sheet, "row": cell.row, "column": cell.field.label, "cell": cell.cell}


@dataclass
class TableData:
    """A table sheet: one DataFrame column per layout field key, indexed by Excel row.

    Every layout column is present in `frame` ("" where the sheet lacks it);
    `letters` says in which Excel column each present field was found.
    """

    sheet: str
    fields: tuple[Field, ...]
    frame: pd.DataFrame
    letters: dict[str, int]  # field key → 0-based column index in the sheet
    missing: set[str] = field(default_factory=set)
    header_row: int = 1

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def cell(self, row: int, key: str) -> str | None:
        index = self.letters.get(key)
        return None if index is None else cell_ref(row, index)

    def where(self, row: int | None, key: str | None = None) -> dict[str, object]:
        """Finding location: a cell when a column is named, else the whole row."""
        if key is None:
            return {"sheet": self.sheet, "row": row, "column": None, "cell": None}
        return {"sheet": self.sheet, "row": row, "column": self.field(key).label,
                "cell": self.cell(row, key) if row is not None else None}

    @property
    def rows(self) -> int:
        return len(self.frame)


@dataclass
class ParsedWorkbook:
    adherent: FormData
    delegue: FormData
    users: dict[str, TableData]  # téléservice key → its sheet
    categories: TableData
    file_name: str = ""

    @property
    def request_type(self) -> RequestType | None:
        """`abonnement`, `mise_a_jour`, `controle`, or None when blank or unknown."""
        typed = label_key(self.adherent.value("type_demande"))
        for key in RequestType:
            if label_key(key.label) == typed:
                return key
        return None

    @property
    def numero(self) -> str:
        return self.adherent.value("numero")

    def company_details(self) -> dict[str, str]:
        """What the `Adhérent` form says of the company (kept on record by an Abonnement)."""
        return {k: self.adherent.value(k) for k in ADHERENT_DETAIL_KEYS}

    def delegue_details(self) -> dict[str, str]:
        """What the `Délégué` form says of the delegate, never a password."""
        return {k: self.delegue.value(k) for k in DELEGUE_DETAIL_KEYS}

    def tables(self) -> list[tuple[UserSheet, TableData]]:
        return [(t, self.users[t.key]) for t in layout.TELESERVICES if t.key in self.users]

    @property
    def user_rows(self) -> int:
        return sum(t.rows for t in self.users.values())
