"""One cell's value as the person meant it, or a finding: a cell, or a whole column at once.

Numbers come back as the text that was typed (`123456`, not `123456.0`); a
Moroccan phone number that Excel stripped of its leading 0 gets it back;
values are trimmed, a line break typed in a name becomes a space. Formulas,
Excel errors, passwords saved as numbers, over-long values, dates Excel made
of text and our annotated copy's marker left in a secret cell are findings.
"""

from __future__ import annotations

import datetime as dt
import re

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error, warning
from provisioner.wording import reading
from provisioner.workbook import layout
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.sheet_extent import SheetFacts
from provisioner.workbook.text import cell_ref

# What calamine gives for a cell ("" for an empty one).
CellValue = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta
Rows = list[list[CellValue]]  # a sheet's cells, from its first used row and column

_MOROCCAN_WITHOUT_ZERO = re.compile(r"[5-8]\d{8}")
_BREAKS = re.compile(r"[\n\r\t]")  # a line break typed in a cell: made one line
_CREDENTIAL_KINDS = frozenset({Kind.PASSWORD, Kind.ANSWER})
_MARKER = layout.RETYPE_MARKER.casefold()
_SEPARATOR = "\x00"  # joins a column's values for one search: neither a break nor in the marker


def cell_text(value: object) -> str:
    """A calamine value as the text a person typed."""
    if type(value) is str:  # most cells: first, before the isinstance chain
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


class CellReader:
    """Reads the cells of one sheet; each finding goes to the list its caller gives."""

    def __init__(self, sheet: str, facts: SheetFacts) -> None:
        self.sheet = sheet
        self.facts = facts
        self.marked = facts.formula_cells | facts.error_cells  # cells whose text alone says too little
        self._marked_columns = {col for _, col in self.marked}

    def value(self, fld: Field, raw: object, row: int, col: int, out: list[Finding]) -> str:
        """One cell (Excel row, 0-based column); its findings appended to `out`."""

        def where() -> dict[str, object]:  # built only for a finding: most cells have none
            return {"sheet": self.sheet, "row": row, "column": fld.label, "cell": cell_ref(row, col)}

        if (row, col) in self.facts.error_cells:
            out.append(error(FindingCode.INVALID_VALUE, reading.EXCEL_ERROR, **where()))
            return ""
        if (row, col) in self.facts.formula_cells:
            if fld.kind in _CREDENTIAL_KINDS:
                out.append(error(FindingCode.INVALID_VALUE, reading.FORMULA_NOT_ADMITTED, **where()))
                return ""
            out.append(warning(FindingCode.FORMULA, reading.FORMULA_KEPT, **where()))
        value = cell_text(raw)
        if fld.kind is Kind.PASSWORD and not isinstance(raw, str) and value:
            # Excel turned it into a number: leading zeros may be gone (01234 → 1234).
            out.append(error(FindingCode.PASSWORD_POLICY, reading.PASSWORD_AS_NUMBER, **where()))
            return ""
        if len(value) > layout.MAX_CELL_LENGTH:
            out.append(error(FindingCode.INVALID_FORMAT, reading.too_long(len(value), layout.MAX_CELL_LENGTH),
                             **where()))
            return ""
        if fld.kind is Kind.TEXT and isinstance(raw, (dt.datetime, dt.date, dt.time)) and value:
            # Excel took « 7/1 » or « janv-26 » typed in Fonction for a date: kept as read, said.
            out.append(warning(FindingCode.DATE_IN_TEXT, reading.date_in_text(value), **where()))
        if fld.secret and value.casefold() == _MARKER:
            # Our annotated copy's marker, left in place: not a password or an answer, nor a blank.
            out.append(error(FindingCode.SECRET_NOT_RETYPED,
                             reading.not_retyped(layout.RETYPE_MARKER, answer=fld.kind is Kind.ANSWER), **where()))
            return ""
        if not fld.secret and ("\n" in value or "\r" in value or "\t" in value):
            value = " ".join(value.split())  # Alt+Entrée in a name or an address: one line, as it prints
        if fld.kind is Kind.PHONE and _MOROCCAN_WITHOUT_ZERO.fullmatch(value):
            value = "0" + value  # Excel dropped the leading 0 of 0661234567
        return value

    def column(self, fld: Field, raws: list[CellValue], rows: list[int], col: int,
               out: list[tuple[int, Finding]]) -> list[str]:
        """The cells of one column (`rows`: their Excel rows); each finding with the index of its cell.

        Most columns are typed text that `value` would only trim: then the column is judged
        by a few C-level passes (a join, one search) rather than cell by cell; any column
        where one of those passes finds something to say goes cell by cell.
        """
        quick = self._plain(fld, raws, col)
        if quick is not None:
            return quick
        values: list[str] = []
        for index, (raw, row) in enumerate(zip(raws, rows)):
            if raw == "" and (row, col) not in self.marked:
                values.append("")
                continue
            found: list[Finding] = []
            values.append(self.value(fld, raw, row, col, found))
            out += [(index, finding) for finding in found]
        return values

    def _plain(self, fld: Field, raws: list[CellValue], col: int) -> list[str] | None:
        """The column's values when every cell is text `value` would only trim (and mend, for a phone)."""
        if col in self._marked_columns or not set(map(type, raws)) <= {str}:
            return None
        values = list(map(str.strip, raws))  # type: ignore[arg-type]  # every one is a str
        if max(map(len, values), default=0) > layout.MAX_CELL_LENGTH:
            return None
        joined = _SEPARATOR.join(values)
        if fld.secret and _MARKER in joined.casefold():
            return None  # casefold maps character by character: a cell equal to the marker shows in the join
        if not fld.secret and _BREAKS.search(joined):
            return None
        if fld.kind is Kind.PHONE:
            values = ["0" + v if _MOROCCAN_WITHOUT_ZERO.fullmatch(v) else v for v in values]
        return values
