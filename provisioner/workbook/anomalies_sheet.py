"""The annotated copy's first sheet, `Anomalies`: a summary line, then one row per finding, linked to its place.

The sheet is ignored when the copy comes back; its rows are errors first,
then warnings, each with a link to the cell, row or sheet it is about, then
one row per sheet row holding secret cells to type again (« À ressaisir »).
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.utils.cell import get_column_letter

from provisioner.domain.findings import Finding, Severity
from provisioner.wording import workbook_text
from provisioner.workbook.book import Page, Sheet, link, put_label, put_text
from provisioner.workbook.cell_marks import SECRET_FILL, strong_fill
from provisioner.workbook.finding_places import Located, Target, valid_ref
from provisioner.workbook.readme import FIX_ADVICE
from provisioner.workbook.render import fit_row
from provisioner.workbook.secret_scrub import Scrubber

SEVERITY_LABELS = {Severity.ERROR: "Erreur", Severity.WARNING: "Avertissement"}
ANOMALY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Gravité", 15), ("Code", 26), ("Feuille", 24), ("Cellule", 10),
    ("Ligne", 8), ("Colonne", 30), ("Message", 90),
)
ANOMALY_HEADER_ROW = 2  # row 1 holds the summary line
_MAX_LINKS = 65_530  # Excel's limit of links on one sheet (XlsxWriter refuses more)


RETYPE_LABEL = workbook_text.RETYPE_LABEL
Retype = tuple[str, int, int, list[str]]  # sheet, row, first column, the labels of its cells


def summary_line(errors: int, warnings: int, retype: int = 0) -> str:
    """The title line of the `Anomalies` sheet, in French."""
    return workbook_text.anomalies_summary(errors, warnings, retype, FIX_ADVICE)


def write_anomalies(sheet: Sheet, located: list[Located], scrub: Scrubber, retype: Sequence[Retype] = ()) -> None:
    errors = sum(1 for f, _ in located if f.is_error)
    width = sum(w for _, w in ANOMALY_COLUMNS)
    title = sheet.cell(1, 1)
    put_text(title, summary_line(errors, len(located) - errors, sum(len(r[3]) for r in retype)))
    title.bold, title.size, title.wrap = True, 12, True
    sheet.merges.append((1, 1, 1, len(ANOMALY_COLUMNS)))
    fit_row(sheet, 1, title.text, width * 0.85)  # 12-point letters are wider
    for index, (label, column_width) in enumerate(ANOMALY_COLUMNS, start=1):
        put_label(sheet.cell(ANOMALY_HEADER_ROW, index), label)
        sheet.widths[index] = column_width
    for row, (finding, target) in enumerate(located, start=ANOMALY_HEADER_ROW + 1):
        _write_anomaly(sheet, row, finding, target, scrub)
    for row, cells in enumerate(retype, start=ANOMALY_HEADER_ROW + 1 + len(located)):
        _write_retype(sheet, row, cells, linked=row - ANOMALY_HEADER_ROW <= _MAX_LINKS)
    sheet.frozen_rows = ANOMALY_HEADER_ROW
    last = ANOMALY_HEADER_ROW + len(located) + len(retype)
    sheet.autofilter = (ANOMALY_HEADER_ROW, 1, last, len(ANOMALY_COLUMNS))
    sheet.page = Page(landscape=True, repeat_rows=ANOMALY_HEADER_ROW,
                      area=(1, 1, last, len(ANOMALY_COLUMNS)))


def _write_anomaly(
    sheet: Sheet, row: int, finding: Finding, target: Target | None, scrub: Scrubber
) -> None:
    place = target.cell if target is not None else valid_ref(finding.cell)
    texts = {1: SEVERITY_LABELS[finding.severity], 2: finding.code, 3: scrub(finding.sheet),
             4: place or "", 6: scrub(finding.column), 7: scrub(finding.message)}
    for column, text in texts.items():
        cell = sheet.cell(row, column)
        put_text(cell, text)
        cell.wrap = True
    if finding.row is not None:
        sheet.cell(row, 5).number = finding.row  # our own number, not a read value
    sheet.cell(row, 1).fill = strong_fill(finding)
    # Every wrapped cell of the row must fit: the message mostly, a long column name at times.
    for column, text in texts.items():
        fit_row(sheet, row, text, ANOMALY_COLUMNS[column - 1][1])
    # Past Excel's limit of links a sheet, a row keeps its text, unlinked.
    if target is not None and row - ANOMALY_HEADER_ROW <= _MAX_LINKS:
        # The link sits on the most precise place named: cell, else row, else sheet.
        column = 4 if target.cell else 5 if target.row else 3
        link(sheet.cell(row, column), target.sheet, target.link)


def _write_retype(sheet: Sheet, row: int, cells: Retype, *, linked: bool) -> None:
    """One sheet row's emptied secret cells: labels only, never a value (there is none in the copy)."""
    name, excel_row, column, labels = cells
    ref = f"{get_column_letter(column)}{excel_row}"
    texts = {1: RETYPE_LABEL, 3: name, 4: ref, 6: ", ".join(labels),
             7: workbook_text.retype_message(len(labels))}
    for index, text in texts.items():
        cell = sheet.cell(row, index)
        put_text(cell, text)
        cell.wrap = True
        fit_row(sheet, row, text, ANOMALY_COLUMNS[index - 1][1])
    sheet.cell(row, 5).number = excel_row
    sheet.cell(row, 1).fill = SECRET_FILL
    if linked:
        link(sheet.cell(row, 4), name, ref)
