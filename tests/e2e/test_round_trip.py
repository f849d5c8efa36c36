"""The round trip a person lives in: send, be refused, fix the annotated copy, send it back.

A workbook with four faulty cells goes through the real pipeline and is
rejected. Its `bordereau-annote.xlsx` is then fixed the way a person would:
only the red cells and the cells marked to be typed again, each typed as
Excel stores what is typed (text in a text cell, a number in a General one),
and sent back as it is, Anomalies sheet included. It must be accepted with
no warning, straight from openpyxl and after LibreOffice re-saved it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.domain.keys import label_key
from provisioner.security.hashing import Hasher
from provisioner.service.context import ServiceContext
from provisioner.service.submission.outputs import ANNOTATED
from provisioner.service.submission.pipeline import process_file
from provisioner.service.submission.values import Outcome
from provisioner.store.db import make_engine, upgrade
from provisioner.workbook import layout
from provisioner.workbook.anomalies_sheet import RETYPE_LABEL
from provisioner.workbook.cell_marks import ERROR_FILL, SECRET_FILL, SECRET_NOTES, SECRET_TAB
from tests.factory import adherent, delegue, make_workbook, user

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: "
                                                           "apt-get install libreoffice-calc-nogui")

# What the person meant: the values the fixed cells must get back.
TEXT_PASSWORD = "01234"  # typed into a text cell it stays five characters; as a number it is 1234
ADMIN = "Deleg2026"
INTENDED_ADHERENT = adherent(rc="456789")
INTENDED_DELEGUE = delegue(password=ADMIN, password_confirm=ADMIN)
INTENDED_USERS = {
    "td_interne": [user("hind.td", password=TEXT_PASSWORD, password_confirm=TEXT_PASSWORD),
                   user("omar.td", nom="Tazi", prenom="Omar", email="omar.tazi@albaraka.ma")],
    "easypaiement": [user("sara.ep", "easypaiement", civilite="Mme")],
    "eliquidation": [user("nadia.el", "eliquidation", telephone="0522334455")],
}
CATEGORIES = [{"login": "hind.td", "D": "X"}, {"login": "omar.td", "S0": "X"}]
# The mistakes of the first send, one cell each.
MISTAKES = {
    (layout.ADHERENT_SHEET, None, "rc"): "45A789",
    ("Télédéclaration interne", "omar.td", "email"): "omar.tazi@",
    ("E@syPaiement", "sara.ep", "civilite"): "Madame",
    ("e-Liquidation@", "nadia.el", "telephone"): "12",
}
TABLE_SHEETS = {t.sheet: t for t in layout.TELESERVICES}


def with_mistakes() -> dict[str, Any]:
    adherent_values = dict(INTENDED_ADHERENT)
    users = {key: [dict(row) for row in rows] for key, rows in INTENDED_USERS.items()}
    for (sheet, login, key), wrong in MISTAKES.items():
        if login is None:
            adherent_values[key] = wrong
            continue
        service = TABLE_SHEETS[sheet]
        next(row for row in users[service.key] if row["login"] == login)[key] = wrong
    return {"adherent_values": adherent_values, "delegue_values": INTENDED_DELEGUE, "users": users,
            "categories": CATEGORIES}


@pytest.fixture
def ctx(sqlite_url: str, tmp_path: Path) -> Iterator[ServiceContext]:
    engine: Engine = make_engine(sqlite_url)
    upgrade(engine)
    settings = Settings(database_url=sqlite_url, outbox=tmp_path / "outbox", inbox=tmp_path / "inbox",
                        var_dir=tmp_path / "var", hash_workers=1)
    context = ServiceContext(settings, engine, Hasher(1))
    yield context
    context.hasher.close()
    engine.dispose()


@pytest.fixture
def rejected(ctx: ServiceContext, tmp_path: Path) -> Outcome:
    outcome = process_file(ctx, make_workbook(tmp_path / "bordereau.xlsx", **with_mistakes()))
    assert outcome.status == "rejected"
    assert sorted((e["code"], e["sheet"]) for e in outcome.report["errors"]) == [
        ("INVALID_FORMAT", layout.ADHERENT_SHEET), ("INVALID_FORMAT", "Télédéclaration interne"),
        ("INVALID_FORMAT", "e-Liquidation@"), ("INVALID_VALUE", "E@syPaiement")]
    return outcome


# --- Fixing the copy as a person would ------------------------------------------------


def intended(ws: Worksheet, cell: Cell) -> str:
    """What the person meant in `cell` of the annotated copy, found by its label or header and login."""
    if ws.title in (layout.ADHERENT_SHEET, layout.DELEGUE_SHEET):
        form = next(f for f in layout.FORM_SHEETS if f.name == ws.title)
        label = label_key(str(ws.cell(row=cell.row, column=1).value))
        key = next(f.key for f in form.fields if label_key(f.label) == label)
        values = INTENDED_ADHERENT if ws.title == layout.ADHERENT_SHEET else INTENDED_DELEGUE
        return str(values[key])
    service = TABLE_SHEETS[ws.title]
    headers = {label_key(str(c.value)): c.column for c in ws[1] if c.value}
    key = next(f.key for f in service.columns if label_key(f.label) == label_key(str(ws.cell(1, cell.column).value)))
    login = ws.cell(row=cell.row, column=headers[label_key(layout.LOGIN.label)]).value
    return str(next(row for row in INTENDED_USERS[service.key] if row["login"] == login)[key])


def type_in(cell: Cell, text: str) -> None:
    """Store `text` as Excel does when it is typed: kept as text in a "@" cell, a number in a General one."""
    cell.value = int(text) if text.isdigit() and cell.number_format != "@" else text


def fix_marked_cells(copy: Path, target: Path, *, retype: bool = True,
                     blank: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Type the intended value into every red and (with `retype`) every mauve cell, except the
    mauve cells named in `blank` ("Sheet!A1"), emptied; touch nothing else; say which."""
    wb = openpyxl.load_workbook(copy)
    fixed: dict[str, list[str]] = {"red": [], "mauve": [], "blank": []}
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for cell in row:
                colour = {ERROR_FILL: "red", SECRET_FILL: "mauve"}.get(str(cell.fill.fgColor.rgb))
                place = f"{ws.title}!{cell.coordinate}"
                if colour is None or cell.fill.fill_type != "solid" or (colour == "mauve" and not retype):
                    continue
                if place in blank:
                    cell.value = None
                    fixed["blank"].append(place)
                    continue
                type_in(cell, intended(ws, cell))
                fixed[colour].append(place)
    wb.save(target)
    return fixed


def resave_with_libreoffice(source: Path, out_dir: Path, profile: Path) -> Path:
    """`soffice --convert-to xlsx`, with a private profile so that parallel runs do not clash."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out_dir), str(source)],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "HOME": str(profile)})
    converted = out_dir / (source.stem + ".xlsx")
    assert result.returncode == 0 and converted.exists(), result.stdout + result.stderr
    return converted


def fixed_in_libreoffice(rejected: Outcome, tmp_path: Path, **options: Any) -> tuple[dict[str, list[str]], Path]:
    """The annotated copy opened in LibreOffice, fixed (`options` as fix_marked_cells's), saved again from
    LibreOffice before it is sent, as a person does: what was fixed, and the file to send."""
    profile = tmp_path / "soffice-profile"
    opened = resave_with_libreoffice(rejected.folder / ANNOTATED, tmp_path / "lo1", profile)
    fixed = fix_marked_cells(opened, tmp_path / "corrige.xlsx", **options)
    return fixed, resave_with_libreoffice(tmp_path / "corrige.xlsx", tmp_path / "lo2", profile)


def secret_cell_count() -> int:
    per_user = sum(1 for f in layout.TELESERVICES[0].columns if f.secret)  # 2 passwords, 3 answers
    return 2 + per_user * sum(len(rows) for rows in INTENDED_USERS.values())  # + the delegate's two


def assert_accepted_without_warning(outcome: Outcome) -> None:
    assert outcome.status == "accepted", outcome.report["errors"]
    assert outcome.report["warnings"] == []
    assert sorted(c["login"] for c in outcome.report["changes"]) == sorted(
        row["login"] for rows in INTENDED_USERS.values() for row in rows)


# --- The round trip ---------------------------------------------------------------------


def test_the_annotated_copy_fixed_in_its_red_and_marked_cells_is_accepted_without_warning(
        ctx: ServiceContext, rejected: Outcome, tmp_path: Path) -> None:
    fixed = fix_marked_cells(rejected.folder / ANNOTATED, tmp_path / "corrige.xlsx")

    assert len(fixed["red"]) == len(MISTAKES)
    assert len(fixed["mauve"]) == secret_cell_count()
    assert_accepted_without_warning(process_file(ctx, tmp_path / "corrige.xlsx"))


@pytest.mark.slow
@needs_soffice
def test_the_annotated_copy_fixed_after_a_libreoffice_resave_is_accepted_without_warning(
        ctx: ServiceContext, rejected: Outcome, tmp_path: Path) -> None:
    fixed, sent = fixed_in_libreoffice(rejected, tmp_path)

    assert len(fixed["red"]) == len(MISTAKES)
    assert len(fixed["mauve"]) == secret_cell_count()
    assert_accepted_without_warning(process_file(ctx, sent))


def assert_rejected_at_every_marker(outcome: Outcome) -> None:
    """Only the markers left in place are faults, each at its cell: nothing else is told."""
    assert outcome.status == "rejected"
    assert {e["code"] for e in outcome.report["errors"]} == {"SECRET_NOT_RETYPED"}
    assert len(outcome.report["errors"]) == secret_cell_count()
    password = TABLE_SHEETS["E@syPaiement"].columns.index(layout.PASSWORD) + 1
    assert ("E@syPaiement", f"{openpyxl.utils.get_column_letter(password)}2") in {
        (e["sheet"], e["cell"]) for e in outcome.report["errors"]}


def test_a_copy_sent_back_with_its_markers_in_place_is_rejected_at_each_of_them(
        ctx: ServiceContext, rejected: Outcome, tmp_path: Path) -> None:
    # Before: the red cells fixed alone gave 17 errors elsewhere (REQUIRED, SECRET_QUESTIONS) and
    # the E@syPaiement password, left empty, silently became a generated one.
    fix_marked_cells(rejected.folder / ANNOTATED, tmp_path / "corrige.xlsx", retype=False)
    assert_rejected_at_every_marker(process_file(ctx, tmp_path / "corrige.xlsx"))


@pytest.mark.slow
@needs_soffice
def test_markers_left_in_place_through_libreoffice_are_rejected_at_each_of_them(
        ctx: ServiceContext, rejected: Outcome, tmp_path: Path) -> None:
    _, sent = fixed_in_libreoffice(rejected, tmp_path, retype=False)
    assert_rejected_at_every_marker(process_file(ctx, sent))


def test_a_secret_cell_emptied_on_purpose_keeps_its_usual_meaning(
        ctx: ServiceContext, rejected: Outcome, tmp_path: Path) -> None:
    password = TABLE_SHEETS["E@syPaiement"].columns.index(layout.PASSWORD) + 1
    cells = tuple(f"E@syPaiement!{openpyxl.utils.get_column_letter(c)}2" for c in (password, password + 1))
    fixed = fix_marked_cells(rejected.folder / ANNOTATED, tmp_path / "corrige.xlsx", blank=cells)
    assert fixed["blank"] == list(cells)
    outcome = process_file(ctx, tmp_path / "corrige.xlsx")
    assert outcome.status == "accepted", outcome.report["errors"]  # blank on a creation: generated, emailed


# --- What the copy carries --------------------------------------------------------------


def test_the_annotated_copy_keeps_the_template_dropdowns_formats_and_input_cells(rejected: Outcome) -> None:
    wb = openpyxl.load_workbook(rejected.folder / ANNOTATED)
    ws = wb["Télédéclaration interne"]
    service = TABLE_SHEETS[ws.title]
    letter = {f.key: openpyxl.utils.get_column_letter(i) for i, f in enumerate(service.columns, start=1)}
    lists = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert {f"{letter[k]}2" for k in ("action", "civilite", "mode", "question1")} <= set(lists)
    assert ws.freeze_panes == "A2"
    # A retyped 01234 stays text: the password cell is a text cell, and so is its whole
    # column (Excel gives the column's format to a cell typed in it).
    assert ws[f"{letter['password']}2"].number_format == "@"
    index = service.columns.index(layout.PASSWORD) + 1
    (column,) = [d for d in ws.column_dimensions.values() if d.min is not None and d.min <= index <= d.max]
    assert column.number_format == "@"
    adherent_ws = wb[layout.ADHERENT_SHEET]
    assert adherent_ws["B3"].number_format == "@" and adherent_ws["B3"].fill.fgColor.rgb == "FFFFF2CC"
    assert [dv for dv in adherent_ws.data_validations.dataValidation if "B2" in dv.sqref]


def test_secret_cells_hold_a_marker_and_a_comment_their_tabs_are_coloured_and_anomalies_lists_them(
        rejected: Outcome) -> None:
    wb = openpyxl.load_workbook(rejected.folder / ANNOTATED)
    ws = wb[layout.DELEGUE_SHEET]
    password = next(r for r in range(1, 20) if label_key(str(ws.cell(r, 1).value)) == label_key("Mot de passe"))
    cell = ws.cell(password, 2)
    assert cell.value == layout.RETYPE_MARKER and cell.fill.fgColor.rgb == SECRET_FILL
    assert cell.comment.text == SECRET_NOTES[layout.Kind.PASSWORD]
    answer = wb["E@syPaiement"].cell(2, 1 + TABLE_SHEETS["E@syPaiement"].columns.index(layout.ANSWERS[0]))
    assert answer.value == layout.RETYPE_MARKER and answer.comment.text == SECRET_NOTES[layout.Kind.ANSWER]
    # Tabs: those with findings, and the Délégué's, which has only cells to type again.
    tabs = {w.title: w.sheet_properties.tabColor.rgb for w in wb.worksheets if w.sheet_properties.tabColor}
    assert set(tabs) == {layout.ADHERENT_SHEET, layout.DELEGUE_SHEET, "Télédéclaration interne",
                         "E@syPaiement", "e-Liquidation@"}
    assert tabs[layout.DELEGUE_SHEET].endswith(SECRET_TAB)
    # « Anomalies » lists them after the findings: one line per row holding cells to type again.
    anomalies = wb.worksheets[0]
    listed = [(r[2].value, r[3].value, r[5].value) for r in anomalies.iter_rows(min_row=3)
              if r[0].value == RETYPE_LABEL]
    assert len(listed) == 2 + sum(len(rows) for rows in INTENDED_USERS.values())  # the delegate's two rows
    assert ("E@syPaiement", "M2", "Mot de passe, Confirmation mot de passe, Réponse 1, Réponse 2, Réponse 3") \
        in listed
    assert "« À RESSAISIR »" in str(anomalies["A1"].value)


def test_the_anomalies_sheet_comes_first_with_rows_tall_enough_for_their_messages(rejected: Outcome) -> None:
    wb = openpyxl.load_workbook(rejected.folder / ANNOTATED)
    ws = wb.worksheets[0]
    assert ws.title == "Anomalies" and wb.active.title == "Anomalies"
    message_width = ws.column_dimensions["G"].width
    for row in range(3, ws.max_row + 1):
        message = str(ws.cell(row, 7).value)
        lines = -(-len(message) // int(message_width))
        assert ws.row_dimensions[row].height >= 15 * lines, (row, message)
    assert "fichier d'origine" in str(ws["A1"].value)
