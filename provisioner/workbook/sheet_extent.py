"""What a sheet's XML holds, scanned before calamine reads it: its used range and the cells values cannot show.

calamine allocates every sheet as a dense rows × columns grid: one cell at
XFD1048576 asks for 512 GB and aborts the process, so the used range is bounded
here first. The same scan notes formula and error cells, hidden rows and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import error
from provisioner.wording import safety as say
from provisioner.workbook.text import column_letter
from provisioner.workbook.unsafe_file import UnsafeFile, too_large, unreadable

MAX_SHEET_ROWS = 20_000  # 5,000 users with room for blank rows
MAX_SHEET_CELLS = 1_000_000  # rows × columns of a sheet's used range
MAX_FILLED_CELLS = 300_000  # in the whole workbook: 5,000 users × 21 columns + categories, twice over

# Scans for a literal first, not one alternation: a pattern that starts with a literal is far faster.
_QUICK_SCANS = ((b"<f", re.compile(rb"<f[\s>/]")), (b":f", re.compile(rb"<\w+:f[\s>/]")),
                (b't="e"', re.compile(rb'\bt="e"')), (b'hidden="', re.compile(rb'\bhidden="(?:1|true)"')))
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b")
_SHEET_DATA_UTF16 = "sheetData".encode("utf-16-le")  # found in big-endian text too
# A cell start tag as Excel, LibreOffice and openpyxl write it: `r` first, double quotes, no
# character reference, no second `r` (prefixed or not). Linear: no byte can match two ways.
# Groups: column letters and row of a cell with content; empty for an empty one (`<c .../>`,
# an empty styled cell, or `<c ...></c>`), which calamine skips.
_ATTRIBUTES = rb'(?: (?!(?:[\w.-]+:)?r=)[\w:.-]+="[^"<>&]*")*'
_CANONICAL_CELL = re.compile(rb'<c r="(?:([A-Z]{1,3})([0-9]{1,7})"' + _ATTRIBUTES + rb">(?!</)"
                             rb'|[A-Z]{1,3}[0-9]{1,7}"' + _ATTRIBUTES + rb"/?>)")
_REF = re.compile(r"[A-Za-z]+[0-9]+")
# Every way an XML tag `c` can start is `<c` then one of ` >/\t\n\r`: counted as every `<c` less the others
# (`<col`, `<cfRule`..., few), two passes rather than one per way.
_NOT_A_CELL_START = re.compile(rb"<c(?![ >/\t\n\r])")
SEGMENT = 4 * 1024 * 1024  # of XML scanned at a time, so that the matches stay few


@dataclass
class SheetFacts:
    """What a sheet's XML says beyond its values (0-based column indexes, Excel rows)."""

    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    error_cells: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


def check_extents(contents: dict[str, bytes], sheet_names: dict[str, str]) -> None:
    filled = 0
    for entry, data in contents.items():
        # Every part that holds cells, whatever the relationships say it is.
        if _SHEET_DATA.search(data) or _SHEET_DATA_UTF16 in data:
            filled += _check_extent(data, sheet_names.get(entry))
    if filled > MAX_FILLED_CELLS:
        limit = f"{MAX_FILLED_CELLS:,}".replace(",", " ")
        raise too_large(say.too_many_cells(limit))


def _check_extent(data: bytes, sheet: str | None) -> int:
    """Refuse a sheet whose used range calamine could not allocate sanely; count its filled cells."""
    count, rows, columns = _extent_of_canonical(data) or _extent_by_parsing(data)
    if rows > MAX_SHEET_ROWS or rows * columns > MAX_SHEET_CELLS:
        raise UnsafeFile(error(FindingCode.FILE_TOO_LARGE,
                               say.sheet_too_far(sheet, rows, column_letter(max(columns, 1) - 1)), sheet=sheet))
    return count


def _extent_of_canonical(data: bytes) -> tuple[int, int, int] | None:
    """(filled cells, last row, last column) by one regex, or None when any cell tag is written
    otherwise than _CANONICAL_CELL reads it (a prefix, quotes, spacing, UTF-16...): then only a
    parser is exact."""
    if b":c" in data or b"\x00" in data:
        return None
    count = rows = columns = matched = pos = 0
    while pos < len(data):
        end = data.find(b"<", pos + SEGMENT)  # a match holds no "<" but its first byte
        end = len(data) if end < 0 else end
        tags = _CANONICAL_CELL.findall(data, pos, end)
        if tags:
            matched += len(tags)
            letters, digits = zip(*tags)  # C loops; the Python ones below run over distinct values only
            count += len(tags) - digits.count(b"")
            rows = max(rows, 0, *map(int, set(digits) - {b""}))
            columns = max(columns, 0, *(_split_ref(col.decode("ascii") + "1")[1] + 1
                                        for col in set(letters) - {b""}))
        if count > MAX_FILLED_CELLS:
            return count, rows, columns  # refused whatever the rest holds
        pos = end
    if matched != data.count(b"<c") - len(_NOT_A_CELL_START.findall(data)):
        return None
    return count, rows, columns


def _extent_by_parsing(data: bytes) -> tuple[int, int, int]:
    """(filled cells, last row, last column) as calamine places them, read by expat (no DOCTYPE
    gets here). A cell without `r` follows the previous one; a row without `r`, the last row seen."""
    count = rows = columns = row = column = 0
    pending: tuple[int, int] | None = None  # (row, column) of a cell whose value is still to come

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal count, rows, columns, row, column, pending
        local = name.rpartition(":")[2]
        if local == "row":
            number = attrs.get("r", "")
            row = int(number) if number.isdigit() else max(row, rows) + 1
            column = 0
        elif local == "c":
            # Every attribute named r, prefixed or not: the farthest place any reader could take.
            places = [_split_ref(ref.upper()) for key, ref in attrs.items()
                      if key.rpartition(":")[2] == "r" and _REF.fullmatch(ref)]
            if places:
                cell_row, column = max(r for r, _ in places), max(c for _, c in places) + 1
            else:
                cell_row, column = max(row, 1), column + 1
            pending = (cell_row, column)
        elif local in ("v", "is", "f") and pending:
            count += 1
            rows, columns = max(rows, pending[0]), max(columns, pending[1])
            pending = None
            if count > MAX_FILLED_CELLS:
                raise _StopScan

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except _StopScan:
        pass
    except expat.ExpatError:
        raise unreadable(say.UNREADABLE_SHEET) from None
    return count, rows, columns


class _StopScan(Exception):
    """Enough cells counted to refuse the file."""


def sheet_facts(data: bytes) -> SheetFacts:
    facts = SheetFacts()
    if not any(literal in data and scan.search(data) for literal, scan in _QUICK_SCANS):
        return facts  # the common case: nothing to find, no parse needed
    try:
        # "end" events: a cell's <f> child exists only once the cell is complete.
        for _, elem in SafeET.iterparse(BytesIO(data), events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "row":
                if elem.get("hidden") in ("1", "true") and elem.get("r", "").isdigit():
                    facts.hidden_rows.add(int(elem.get("r")))
                elem.clear()  # keep memory flat on large sheets
            elif tag == "col" and elem.get("hidden") in ("1", "true"):
                low, high = int(elem.get("min", "1")), int(elem.get("max", "1"))
                facts.hidden_cols.update(range(low - 1, min(high, 16384)))
            elif tag == "c":
                ref = elem.get("r", "")
                if elem.get("t") == "e" and ref:
                    facts.error_cells.add(_split_ref(ref))
                for child in elem:
                    if child.tag.rsplit("}", 1)[-1] == "f" and ref:
                        facts.formula_cells.add(_split_ref(ref))
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise unreadable(say.UNREADABLE_SHEET) from None
    return facts


def _split_ref(ref: str) -> tuple[int, int]:
    """`K7` → (7, 10): Excel row, 0-based column."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]), col - 1
