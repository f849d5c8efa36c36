"""A workbook as the planner reads it: plain text values, each with the place a finding points at.

The workbook layer builds it from what its reader made of the file; the planner
needs no spreadsheet library to read it, and tests can write one by hand.
Blank cells are "" and every value is trimmed text, as the reader gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from provisioner.domain.vocabulary import RequestType, Teleservice

Where = dict[str, object]  # a finding's location: sheet, row, column, cell


@dataclass(frozen=True)
class Form:
    """A form sheet (Adhérent, Délégué): one value per label."""

    sheet: str
    values: Mapping[str, str]  # field key → value
    labels: Mapping[str, str]  # field key → its label, as the template writes it
    # field key → (Excel row, value cell such as `B7`), for the labels found on the sheet.
    places: Mapping[str, tuple[int, str]] = field(default_factory=dict)

    def value(self, key: str) -> str:
        return self.values.get(key, "")

    def found(self, key: str) -> bool:
        return key in self.places

    def where(self, key: str) -> Where:
        row, cell = self.places.get(key, (None, None))
        return {"sheet": self.sheet, "row": row, "column": self.labels[key], "cell": cell}


@dataclass(frozen=True)
class Row:
    number: int  # the Excel row number
    values: Mapping[str, str]  # column key → value; "" where blank or where the sheet lacks the column


@dataclass(frozen=True)
class Table:
    """A table sheet (a téléservice's users, the Catégories): headers in one row, then one row per record."""

    sheet: str
    rows: tuple[Row, ...]
    labels: Mapping[str, str]  # column key → its header, as the template writes it
    letters: Mapping[str, str]  # column key → Excel column letters, for the columns found on the sheet

    def where(self, row: int | None, key: str | None = None) -> Where:
        """A cell when a column is named, else the whole row."""
        if key is None:
            return {"sheet": self.sheet, "row": row, "column": None, "cell": None}
        letters = self.letters.get(key)
        cell = f"{letters}{row}" if letters is not None and row is not None else None
        return {"sheet": self.sheet, "row": row, "column": self.labels[key], "cell": cell}


@dataclass(frozen=True)
class Sheets:
    request_type: RequestType | None  # None when blank or unknown
    adherent: Form
    delegue: Form
    users: Mapping[Teleservice, Table]  # in the workbook's order
    categories: Table
