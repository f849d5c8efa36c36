"""What the reader made of a workbook, handed to the planner as plain values (domain.sheets)."""

from __future__ import annotations

from provisioner.domain.sheets import Form, Row, Sheets, Table
from provisioner.domain.vocabulary import Teleservice
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.text import column_letter


def planner_input(parsed: ParsedWorkbook) -> Sheets:
    return Sheets(
        request_type=parsed.request_type,
        adherent=_form(parsed.adherent),
        delegue=_form(parsed.delegue),
        users={Teleservice(sheet.key): _table(table) for sheet, table in parsed.tables()},
        categories=_table(parsed.categories),
    )


def _form(form: FormData) -> Form:
    return Form(
        sheet=form.sheet,
        values={key: cell.value for key, cell in form.cells.items()},
        labels={key: cell.field.label for key, cell in form.cells.items()},
        places={key: (cell.row, cell.cell) for key, cell in form.cells.items()
                if cell.row is not None and cell.cell is not None},
    )


def _table(table: TableData) -> Table:
    # The frame's index is the Excel row number (the reader sets it); its cells are text.
    # Plain tuples, not to_dict("records"): this runs on every sheet of every workbook.
    frame = table.frame
    columns = [str(c) for c in frame.columns]
    rows = tuple(Row(int(number), dict(zip(columns, map(str, values), strict=True)))
                 for number, values in zip(frame.index.tolist(), frame.itertuples(index=False, name=None),
                                           strict=True)) if not frame.empty else ()
    return Table(
        sheet=table.sheet,
        rows=rows,
        labels={f.key: f.label for f in table.fields},
        letters={key: column_letter(index) for key, index in table.letters.items()},
    )
