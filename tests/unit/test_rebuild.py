"""The annotated copy of a rejected workbook and the archive copy.

Both are checked the way security.md asks: canaries in every secret cell (and
in the places a re-save would leak: a comment, the document properties, a
hidden sheet), then every entry of the written file, unzipped, searched.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment

from provisioner.domain.findings import Finding, error, warning
from provisioner.workbook import cell_marks, layout
from provisioner.workbook.anomalies_sheet import RETYPE_LABEL, summary_line
from provisioner.workbook.cell_marks import ERROR_FILL, ERROR_ROW_FILL, SECRET_FILL, WARNING_FILL
from provisioner.workbook.checker import check_file
from provisioner.workbook.layout import ANOMALIES_SHEET
from provisioner.workbook.model import ParsedWorkbook
from provisioner.workbook.reader import read_workbook
from provisioner.workbook.rebuild import build_copy, write_copy
from provisioner.workbook.xlsx_writer import COMMENT_AUTHOR, CREATOR
from tests.factory import delegue, make_workbook, user

SECRET_USER_KEYS = ("password", "password_confirm", "answer1", "answer2", "answer3")
SECRET_DELEGUE_KEYS = ("password", "password_confirm", "new_password", "new_password_confirm")
FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def canary() -> str:
    return f"CANARY{secrets.token_hex(8)}"


def read(path: Path) -> ParsedWorkbook:
    result = read_workbook(path)
    assert result.workbook is not None, result.findings
    return result.workbook


def sample(tmp_path: Path, **kwargs: Any) -> ParsedWorkbook:
    """A valid workbook with one user on E@syPaiement (row 2) and one on Télédéclaration interne."""
    kwargs.setdefault("users", {"td_interne": [user("hind.td")],
                                "easypaiement": [user("sara.ep", "easypaiement")]})
    return read(make_workbook(tmp_path / "source.xlsx", **kwargs))


def save_and_load(parsed: ParsedWorkbook | None, findings: list[Finding], tmp_path: Path,
                  *, annotate: bool = True) -> openpyxl.Workbook:
    path = write_copy(parsed, findings, annotate=annotate, path=tmp_path / "copy.xlsx")
    return openpyxl.load_workbook(path)


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def at(parsed: ParsedWorkbook, teleservice: str, row: int, key: str) -> dict[str, object]:
    return parsed.users[teleservice].where(row, key)


# --- Secrets ----------------------------------------------------------------


@pytest.fixture
def canary_source(tmp_path: Path) -> tuple[Path, list[str]]:
    """A workbook with a distinct canary in every password and answer cell, and in
    the places a re-save would carry: a comment, the document properties, a hidden sheet."""
    planted: list[str] = []

    def plant(keys: tuple[str, ...]) -> dict[str, str]:
        values = {key: canary() for key in keys}
        planted.extend(values.values())
        return values

    users = {t.key: [user(f"user.{t.key}", t.key, **plant(SECRET_USER_KEYS))]
             for t in layout.TELESERVICES}
    path = make_workbook(tmp_path / "source.xlsx", users=users,
                         delegue_values=delegue(**plant(SECRET_DELEGUE_KEYS)))
    wb = openpyxl.load_workbook(path)
    leaks = [canary() for _ in range(6)]
    wb[layout.DELEGUE_SHEET]["C9"].comment = Comment(f"mot de passe : {leaks[0]}", "RH")
    wb.properties.title = leaks[1]
    wb.properties.keywords = leaks[2]
    wb.properties.subject = leaks[3]
    wb.properties.description = leaks[4]
    hidden = wb.create_sheet("Brouillon")
    hidden["A1"] = leaks[5]
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path, planted + leaks


@pytest.mark.parametrize("annotate", [True, False], ids=["annotated", "archive"])
def test_no_canary_survives_in_any_entry_of_the_copy(
    canary_source: tuple[Path, list[str]], tmp_path: Path, annotate: bool
) -> None:
    source, canaries = canary_source
    source_bytes = b"".join(entries(source).values())
    assert all(c.encode() in source_bytes for c in canaries)  # the test can see a leak
    result = read_workbook(source)
    parsed = result.workbook
    assert parsed is not None
    assert parsed.delegue.value("password") in canaries  # the reader kept the secrets
    easy = parsed.users["easypaiement"]
    findings = [
        *result.findings,
        error("PASSWORD_POLICY", "Le mot de passe doit compter de 5 à 10 caractères.",
              **parsed.delegue.where("password")),
        error("SECRET_QUESTIONS", "La réponse 1 est requise.", **easy.where(2, "answer1")),
        # A rule that wrongly quotes a secret: the copy must mask it anyway.
        error("PASSWORD_MISMATCH", f"« {easy.frame.loc[2, 'password']} » diffère.",
              **easy.where(2, "password_confirm")),
    ]

    copy = write_copy(parsed, findings, annotate=annotate, path=tmp_path / "copy.xlsx")

    for name, data in entries(copy).items():
        hits = [c for c in canaries if c.removeprefix("CANARY").encode() in data]
        assert hits == [], f"{name} leaks {hits}"


def test_secret_cells_are_left_blank(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    wb = save_and_load(parsed, [], tmp_path, annotate=False)
    form = parsed.delegue
    for key in SECRET_DELEGUE_KEYS:
        assert wb[layout.DELEGUE_SHEET][f"B{form.cells[key].row}"].value is None
    easy = parsed.users["easypaiement"]
    ws = wb["E@syPaiement"]
    for key in SECRET_USER_KEYS:
        assert ws[easy.cell(2, key)].value is None
    assert ws[easy.cell(2, "login")].value == "sara.ep"
    assert ws[easy.cell(2, "question1")].value == layout.SECRET_QUESTIONS[0]


def test_document_properties_are_plain(canary_source: tuple[Path, list[str]],
                                       tmp_path: Path) -> None:
    wb = save_and_load(read(canary_source[0]), [], tmp_path)
    assert wb.properties.creator == CREATOR
    assert not (wb.properties.title or wb.properties.keywords or wb.properties.subject
                or wb.properties.description)


# --- Formula injection ---------------------------------------------------------


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1+2", "@SUM(A1)", "-2+3",
                                   "=1", "#N/A"])
def test_values_that_look_like_formulas_are_written_as_text(tmp_path: Path, value: str) -> None:
    parsed = sample(tmp_path)
    parsed.users["easypaiement"].frame.loc[2, "nom"] = value
    cells = parsed.adherent.cells
    cells["raison_sociale"] = dataclasses.replace(cells["raison_sociale"], value=value)
    findings = [error("INVALID_VALUE", value, **at(parsed, "easypaiement", 2, "nom"))]

    path = write_copy(parsed, findings, annotate=True, path=tmp_path / "copy.xlsx")

    for name, data in entries(path).items():
        assert not FORMULA_ELEMENT.search(data), name
    wb = openpyxl.load_workbook(path)
    cell = wb["E@syPaiement"][parsed.users["easypaiement"].cell(2, "nom")]
    assert (cell.value, cell.data_type) == (value, "s")
    # Excel's own mark for "typed as text": kept when the person edits the cell.
    assert cell.quotePrefix == value.startswith(("=", "+", "-", "@"))
    row = parsed.adherent.cells["raison_sociale"].row
    assert wb[layout.ADHERENT_SHEET][f"B{row}"].value == value
    assert wb[ANOMALIES_SHEET]["G3"].value == value  # a message is text too


# --- Marks on faulty cells -------------------------------------------------------


def test_faulty_cell_is_filled_red_and_commented(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    where = at(parsed, "easypaiement", 2, "email")
    wb = save_and_load(parsed, [error("INVALID_FORMAT", "Adresse email invalide.", **where)],
                       tmp_path)
    cell = wb["E@syPaiement"][str(where["cell"])]
    assert cell.fill.fgColor.rgb == ERROR_FILL
    assert cell.comment.text == "Adresse email invalide."
    assert cell.comment.author == COMMENT_AUTHOR
    neighbour = wb["E@syPaiement"][parsed.users["easypaiement"].cell(2, "login")]
    assert neighbour.fill.fill_type is None and neighbour.comment is None


def test_a_faulty_secret_cell_is_marked_and_holds_the_marker_not_the_value(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    where = parsed.delegue.where("password")
    wb = save_and_load(parsed, [error("PASSWORD_POLICY", "Mot de passe trop court.", **where)],
                       tmp_path)
    cell = wb[layout.DELEGUE_SHEET][str(where["cell"])]
    assert cell.value == layout.RETYPE_MARKER  # the value itself is never written back
    assert cell.fill.fgColor.rgb == ERROR_FILL
    assert cell.comment.text == "Mot de passe trop court.\nMot de passe à ressaisir : il n'est jamais renvoyé."


def test_findings_on_one_cell_share_one_comment(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    where = at(parsed, "easypaiement", 2, "login")
    findings = [error("LOGIN_DUPLICATE", "Ce login est déjà utilisé.", **where),
                warning("LOGIN_CASE", "Le login contient des majuscules.", **where)]
    cell = save_and_load(parsed, findings, tmp_path)["E@syPaiement"][str(where["cell"])]
    assert cell.comment.text == "Ce login est déjà utilisé.\nLe login contient des majuscules."
    assert cell.fill.fgColor.rgb == ERROR_FILL  # the error outranks the warning


def test_a_warning_cell_is_filled_orange(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    where = at(parsed, "td_interne", 2, "fonction")
    cell = save_and_load(parsed, [warning("FORMULA", "Une formule.", **where)],
                         tmp_path)["Télédéclaration interne"][str(where["cell"])]
    assert cell.fill.fgColor.rgb == WARNING_FILL
    assert cell.comment.text == "Une formule."


def test_a_row_finding_fills_the_row_lightly_and_comments_column_a(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    finding = error("HIDDEN_CONTENT", "La ligne 2 est masquée.", sheet="E@syPaiement", row=2)
    ws = save_and_load(parsed, [finding], tmp_path)["E@syPaiement"]
    secret = {ws[parsed.users["easypaiement"].cell(2, key)].column for key in SECRET_USER_KEYS}
    fills = {c: ws.cell(row=2, column=c).fill.fgColor.rgb for c in range(1, ws.max_column + 1)}
    assert {fills[c] for c in fills if c not in secret} == {ERROR_ROW_FILL}
    assert {fills[c] for c in secret} == {SECRET_FILL}  # the cells to retype still show
    assert ws["A2"].comment.text == "La ligne 2 est masquée."
    assert ws["B2"].comment is None


def test_a_missing_column_is_put_back_and_marked(tmp_path: Path) -> None:
    columns = [c.label for c in layout.TELESERVICES[0].columns if c.key != "email"]
    source = make_workbook(tmp_path / "source.xlsx", headers={"Télédéclaration interne": columns})
    result = read_workbook(source)
    assert result.workbook is not None
    missing = [f for f in result.findings if f.code == "TEMPLATE_MISMATCH"]
    assert [(f.column, f.cell) for f in missing] == [("Email", None)]

    ws = save_and_load(result.workbook, result.findings, tmp_path)["Télédéclaration interne"]

    put_back = ws.cell(row=1, column=len(columns) + 1)  # the next free column
    assert put_back.value == "Email *"
    assert put_back.fill.fgColor.rgb == ERROR_FILL
    assert put_back.comment.text == missing[0].message


# --- The Anomalies sheet ------------------------------------------------------------


def test_anomalies_sheet_comes_first_and_lists_errors_then_warnings(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    findings = [
        warning("FORMULA", "Une formule.", **at(parsed, "td_interne", 2, "nom")),
        error("INVALID_FORMAT", "Email invalide.", **at(parsed, "easypaiement", 2, "email")),
        error("AUTH_FAILED", "Authentification refusée."),
    ]
    wb = save_and_load(parsed, findings, tmp_path)
    assert wb.sheetnames == [ANOMALIES_SHEET, *layout.SHEET_ORDER]
    assert wb.active.title == ANOMALIES_SHEET
    ws = wb[ANOMALIES_SHEET]
    assert ws["A1"].value == summary_line(2, 1, 12)  # the sample's secret cells, emptied
    assert [c.value for c in ws[2]] == ["Gravité", "Code", "Feuille", "Cellule", "Ligne",
                                         "Colonne", "Message"]
    listed = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=3)]
    # Findings first, then the rows whose emptied secrets are to be typed again.
    assert listed[:3] == [("Erreur", "AUTH_FAILED"), ("Erreur", "INVALID_FORMAT"),
                          ("Avertissement", "FORMULA")]
    assert listed[3:] and set(listed[3:]) == {(RETYPE_LABEL, None)}
    assert ws.freeze_panes == "A3"


def test_anomalies_link_to_the_cells_with_quoted_sheet_names(tmp_path: Path) -> None:
    parsed = sample(tmp_path, users={"easypaiement": [user("sara.ep", "easypaiement")],
                                     "eliquidation": [user("sara.el", "eliquidation")]})
    easy = at(parsed, "easypaiement", 2, "email")
    liq = parsed.users["eliquidation"].where(2, "login")
    findings = [
        error("INVALID_FORMAT", "Email invalide.", **easy),
        error("LOGIN_DUPLICATE", "Login en double.", **liq),
        error("HIDDEN_CONTENT", "Ligne masquée.", sheet="Sanctions", row=4),
        error("TEMPLATE_MISMATCH", "Feuille absente.", sheet="Catégories"),
    ]
    ws = save_and_load(parsed, findings, tmp_path)[ANOMALIES_SHEET]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=3)}
    assert rows["INVALID_FORMAT"][3].value == easy["cell"]
    assert rows["INVALID_FORMAT"][3].hyperlink.location == f"'E@syPaiement'!{easy['cell']}"
    assert rows["LOGIN_DUPLICATE"][3].hyperlink.location == f"'e-Liquidation@'!{liq['cell']}"
    assert rows["HIDDEN_CONTENT"][4].hyperlink.location == "'Sanctions'!A4"
    assert rows["TEMPLATE_MISMATCH"][2].hyperlink.location == "'Catégories'!A1"


def test_a_finding_on_no_sheet_appears_only_in_anomalies(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    wb = save_and_load(parsed, [error("AUTH_FAILED", "Authentification refusée.")], tmp_path)
    row = next(iter(wb[ANOMALIES_SHEET].iter_rows(min_row=3)))
    assert [c.value for c in row] == ["Erreur", "AUTH_FAILED", None, None, None, None,
                                      "Authentification refusée."]
    assert all(c.hyperlink is None for c in row)
    notes = {c.comment.text for ws in wb.worksheets[1:] for r in ws.iter_rows() for c in r if c.comment}
    assert notes == {*cell_marks.SECRET_NOTES.values(), *cell_marks.SECRET_COLUMN_NOTES.values()}


@pytest.mark.parametrize(("errors", "warnings", "start"), [
    (1, 0, "Le fichier a été refusé : 1 erreur et aucun avertissement."),
    (3, 2, "Le fichier a été refusé : 3 erreurs et 2 avertissements."),
    (0, 1, "Aucune erreur et 1 avertissement."),
    (0, 0, "Aucune anomalie ;"),
])
def test_the_summary_line_counts_in_french(errors: int, warnings: int, start: str) -> None:
    line = summary_line(errors, warnings)
    assert line.startswith(start)
    if errors:
        assert "cellules en rouge" in line and "marquées en mauve" in line
        assert "fichier d'origine" in line


# --- Layout -------------------------------------------------------------------------


def test_values_sit_where_they_were_read(tmp_path: Path) -> None:
    columns = [c.label for c in layout.TELESERVICES[0].columns]
    reordered = ["Login", *(c for c in columns if c != "Login")]
    parsed = sample(tmp_path, users={"td_interne": [user("hind.td"), user("omar.td")]},
                    headers={"Télédéclaration interne": reordered},
                    blank_rows_before={"Télédéclaration interne": 2})
    table = parsed.users["td_interne"]
    assert list(table.frame.index) == [4, 5]

    ws = save_and_load(parsed, [], tmp_path, annotate=False)["Télédéclaration interne"]

    required = {layout.TELESERVICES[0].column(k).label for k in (*layout.COMMON_RECORD_KEYS, "mode")}
    assert [c.value for c in ws[1]] == [f"{h} *" if h in required else h for h in reordered]
    assert (ws["A4"].value, ws["A5"].value) == ("hind.td", "omar.td")
    assert ws["A2"].value is None and ws["A3"].value is None
    assert ws.freeze_panes == "A2"
    adherent = save_and_load(parsed, [], tmp_path, annotate=False)[layout.ADHERENT_SHEET]
    numero = parsed.adherent.cells["numero"]
    assert adherent[f"A{numero.row}"].value.startswith("Numéro d'adhérent")
    assert adherent[str(numero.cell)].value == "123456"


def test_the_archive_copy_has_no_anomalies_and_no_marks(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    findings = [error("INVALID_FORMAT", "Email invalide.",
                      **at(parsed, "easypaiement", 2, "email")),
                error("HIDDEN_CONTENT", "Ligne masquée.", sheet="E@syPaiement", row=2)]
    wb = save_and_load(parsed, findings, tmp_path, annotate=False)
    assert wb.sheetnames == list(layout.SHEET_ORDER)
    marks = {ERROR_FILL, ERROR_ROW_FILL, WARNING_FILL, SECRET_FILL}
    for ws in wb.worksheets:
        assert ws.sheet_properties.tabColor is None, ws.title
        assert ws.data_validations.dataValidation == [], ws.title  # kept for the record, not to fill
        for row in ws.iter_rows():
            assert all(c.fill.fgColor.rgb not in marks and c.comment is None for c in row), ws.title


def test_an_unreadable_file_gets_only_anomalies_and_readme(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = read_workbook(bad)
    assert result.workbook is None

    wb = save_and_load(None, result.findings, tmp_path)

    assert wb.sheetnames == [ANOMALIES_SHEET, layout.README_SHEET]
    codes = [r[1].value for r in wb[ANOMALIES_SHEET].iter_rows(min_row=3)]
    assert codes == [f.code for f in result.findings]
    assert wb[layout.README_SHEET]["A2"].hyperlink.location == f"'{ANOMALIES_SHEET}'!A1"


# --- Writing --------------------------------------------------------------------------


def test_write_copy_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    target = tmp_path / "out" / "copie.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"old")
    write_copy(parsed, [], annotate=False, path=target)
    assert zipfile.is_zipfile(target)
    assert [p.name for p in target.parent.iterdir()] == ["copie.xlsx"]


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "copie.xlsx"
    target.write_bytes(b"old")

    written: list[Path] = []

    def broken_replace(source: object, destination: object) -> None:
        # The temporary file is written in full: only the rename fails.
        written.append(Path(str(source)))
        assert zipfile.is_zipfile(written[-1])
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_copy(None, [], annotate=True, path=target)
    assert len(written) == 1 and written[0].parent == tmp_path
    assert re.fullmatch(r"\.copie\.xlsx\..+\.tmp", written[0].name)  # reports.files.write_atomic's naming
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["copie.xlsx"]


def test_build_copy_returns_the_bytes_without_writing(tmp_path: Path) -> None:
    parsed = sample(tmp_path)
    before = sorted(tmp_path.iterdir())
    data = build_copy(parsed, annotate=False)
    assert sorted(tmp_path.iterdir()) == before
    wb = openpyxl.load_workbook(BytesIO(data))
    assert wb.sheetnames[0] == layout.README_SHEET
    assert "copie" in str(wb[layout.README_SHEET]["A2"].value).lower()


# --- The copy sent back ----------------------------------------------------------------


def test_the_anomalies_sheet_of_a_copy_sent_back_draws_no_warning(tmp_path: Path) -> None:
    source = make_workbook(tmp_path / "source.xlsx")
    wb = openpyxl.load_workbook(source)
    wb.create_sheet(ANOMALIES_SHEET, 0)["A1"] = "Le fichier a été refusé : 1 erreur."
    wb.create_sheet("Brouillon")["A1"] = "notes"
    wb.save(source)

    result = check_file(source)

    assert result.errors == []
    assert [(w.code, w.sheet) for w in result.warnings] == [("UNKNOWN_SHEET", "Brouillon")]


def test_past_the_limit_secret_cells_keep_their_fill_and_the_column_header_says_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cell_marks, "SECRET_NOTE_LIMIT", 3)
    parsed = sample(tmp_path, users={"td_interne": [user(f"u{i}.td") for i in range(4)]},
                    categories=[{"login": f"u{i}.td", "D": "X"} for i in range(4)])
    wb = save_and_load(parsed, [error("AUTH_FAILED", "Authentification refusée.")], tmp_path)
    ws = wb["Télédéclaration interne"]
    table = parsed.users["td_interne"]
    secret = [ws[table.cell(row, key)] for row in table.frame.index for key in SECRET_USER_KEYS]
    delegue = wb[layout.DELEGUE_SHEET]
    secret += [delegue[str(parsed.delegue.cells[key].cell)] for key in ("password", "password_confirm")]
    assert {c.fill.fgColor.rgb for c in secret} == {SECRET_FILL} and len(secret) == 22
    assert sum(1 for c in secret if c.comment is not None) == 3
    header = ws.cell(row=1, column=ws[table.cell(2, "password")].column)
    assert header.comment.text == cell_marks.SECRET_COLUMN_NOTES[layout.Kind.PASSWORD]
