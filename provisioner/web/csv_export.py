"""CSV files that open right in a French Excel: UTF-8 with a BOM, `;` between cells, CRLF line ends.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would
be read by Excel as a formula (OWASP's CSV injection): it is written after a
`'`, which Excel shows as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from starlette.responses import StreamingResponse

from provisioner.wording import dates

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LINES_PER_WRITE = 500


def spreadsheet_time(moment: datetime | None) -> str:
    """`07/12/2026 18:55`, Casablanca time: what a French Excel reads as a date and time."""
    return dates.local(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The file's text, a few hundred lines at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([cell(v) for v in row])
        if count % LINES_PER_WRITE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingResponse:
    return StreamingResponse(lines(header, rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
