"""The blank template: what `provisioner template` writes, and the committed copy of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pypdf
import pytest
from click.testing import CliRunner
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.worksheet import Worksheet

import provisioner.cli.template  # noqa: F401 - registers the command on the group
from provisioner.cli.app import cli
from provisioner.domain.vocabulary import ACTIONS, REQUEST_TYPE_LABELS
from provisioner.workbook import layout
from provisioner.workbook.dropdowns import clip
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.readme import readme_paragraphs
from provisioner.workbook.render import LAST_DATA_ROW
from provisioner.workbook.template import FIXED_TIME, template_bytes

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "templates" / "bordereau-teleservices.xlsx"
TABLES = [(t.sheet, t.columns, {*layout.COMMON_RECORD_KEYS, *t.record_keys}) for t in layout.TELESERVICES]
TABLES.append((layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS, {"login"}))
TABLE_IDS = [sheet for sheet, _, _ in TABLES]
FORM_IDS = [form.name for form in layout.FORM_SHEETS]


@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(template_bytes()))


def run_template_command(*args: str, cwd: Path, seed: str = "random") -> subprocess.CompletedProcess[str]:
    # The code of this checkout, whatever the venv has installed; a set iterated in another order would show.
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "provisioner", "template", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def zip_entries(data: bytes) -> list[tuple[str, tuple[int, ...], bytes]]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return [(i.filename, i.date_time, archive.read(i)) for i in archive.infolist()]


def validations_at(ws: Worksheet, coordinate: str) -> list[DataValidation]:
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def dropdown_values(wb: openpyxl.Workbook, dv: DataValidation) -> tuple[str, ...]:
    """The values a list validation offers, inline (`"a,b"`) or from a range (`'Sheet'!$A$1:$A$3`)."""
    formula = dv.formula1
    if formula.startswith('"'):
        return tuple(formula.strip('"').split(","))
    sheet, ref = formula.rsplit("!", 1)
    cells = wb[sheet.strip("'")][ref.replace("$", "")]
    return tuple(row[0].value for row in cells)


def column_dimension(ws: Worksheet, letter: str) -> ColumnDimension:
    """The dimension covering `letter`: alike neighbours share one `<col min max>` element."""
    index = column_index_from_string(letter)
    found = [d for d in ws.column_dimensions.values() if d.min is not None and d.min <= index <= d.max]
    assert len(found) == 1, (ws.title, letter)
    return found[0]


def form_fields() -> list[tuple[str, int, Field]]:
    return [(form.name, row, field) for form in layout.FORM_SHEETS
            for row, field in enumerate(form.fields, start=1)]


def table_columns() -> list[tuple[str, str, Field]]:
    return [(sheet, get_column_letter(index), field) for sheet, columns, _ in TABLES
            for index, field in enumerate(columns, start=1)]


# --- The file -------------------------------------------------------------------


def test_the_committed_template_is_what_the_command_writes(tmp_path: Path) -> None:
    result = run_template_command("-o", str(tmp_path / "fresh.xlsx"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Entry by entry rather than byte for byte: another zlib build may compress
    # the same content differently, and the content is what must not drift.
    assert zip_entries((tmp_path / "fresh.xlsx").read_bytes()) == zip_entries(COMMITTED.read_bytes()), (
        "templates/bordereau-teleservices.xlsx is stale: run `make template`")


def test_the_command_writes_the_same_bytes_every_time(tmp_path: Path) -> None:
    first = run_template_command("-o", "first.xlsx", cwd=tmp_path, seed="1")
    second = run_template_command("-o", "second.xlsx", cwd=tmp_path, seed="2")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "first.xlsx").read_bytes() == (tmp_path / "second.xlsx").read_bytes()


def test_zip_entries_and_document_dates_are_fixed() -> None:
    data = template_bytes()
    assert {date for _, date, _ in zip_entries(data)} == {FIXED_TIME.timetuple()[:6]}
    props = openpyxl.load_workbook(BytesIO(data)).properties
    assert (props.created, props.modified, props.creator) == (FIXED_TIME, FIXED_TIME, "CIMR — provisioner")


def test_the_template_stays_small() -> None:
    assert len(template_bytes()) < 200_000


def test_the_command_writes_bordereau_teleservices_in_the_current_directory_by_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["template"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bordereau-teleservices.xlsx").read_bytes() == template_bytes()
    assert os.listdir(tmp_path) == ["bordereau-teleservices.xlsx"]  # no temporary file left behind


def test_an_output_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["template", "-o", str(tmp_path / "missing" / "bordereau.xlsx")])
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_the_command_help_gives_an_example() -> None:
    result = CliRunner().invoke(cli, ["template", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "provisioner template -o" in result.output


# --- Sheets, labels, headers ------------------------------------------------------


def test_the_sheets_are_those_of_the_layout_in_order_and_all_visible(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == list(layout.SHEET_ORDER)
    assert {ws.sheet_state for ws in workbook} == {"visible"}


def test_nothing_is_hidden_in_any_sheet(workbook: openpyxl.Workbook) -> None:
    for ws in workbook:
        assert not any(dim.hidden for dim in ws.column_dimensions.values()), ws.title
        assert not any(dim.hidden for dim in ws.row_dimensions.values()), ws.title


@pytest.mark.parametrize("name", FORM_IDS)
def test_form_labels_fill_column_a_from_row_1_with_required_ones_marked(
        workbook: openpyxl.Workbook, name: str) -> None:
    form = next(f for f in layout.FORM_SHEETS if f.name == name)
    ws = workbook[name]
    labels = [ws.cell(row=row, column=1).value for row in range(1, len(form.fields) + 1)]
    assert labels == [f"{f.label} *" if f.required_for else f.label for f in form.fields]
    assert ws.cell(row=len(form.fields) + 1, column=1).value is None


def test_the_template_version_is_prefilled_and_every_other_value_is_blank(workbook: openpyxl.Workbook) -> None:
    for sheet, row, field in form_fields():
        value = workbook[sheet].cell(row=row, column=2).value
        assert value == (layout.TEMPLATE_VERSION if field.key == "version" else None), field.label


def test_the_usual_required_labels_carry_a_star(workbook: openpyxl.Workbook) -> None:
    adherent, delegue = workbook[layout.ADHERENT_SHEET], workbook[layout.DELEGUE_SHEET]
    assert adherent["A2"].value == "Type de demande *"
    assert adherent["A3"].value == "Numéro d'adhérent *"
    assert adherent["A1"].value == "Version du modèle"
    assert delegue["A9"].value == "Mot de passe *"
    assert delegue["A11"].value == "Nouveau mot de passe"


@pytest.mark.parametrize(("name", "columns", "required"), TABLES, ids=TABLE_IDS)
def test_table_headers_are_the_layout_columns_in_row_1_with_required_ones_marked(
        workbook: openpyxl.Workbook, name: str, columns: tuple[Field, ...], required: set[str]) -> None:
    headers = [cell.value for cell in workbook[name][1]]
    assert headers == [f"{c.label} *" if c.key in required else c.label for c in columns]


def test_external_teledeclaration_marks_its_record_columns_as_required(workbook: openpyxl.Workbook) -> None:
    headers = [cell.value for cell in workbook["Télédéclaration externe"][1]]
    assert headers[:7] == ["Action", "Civilité", "Nom *", "Prénom *", "Fonction *",
                           "Raison sociale du prestataire *", "Mode de télédéclaration *"]
    assert {"Email *", "Login *", "Mot de passe", "Question 1"} <= set(headers)


@pytest.mark.parametrize("name", TABLE_IDS)
def test_table_header_rows_are_frozen(workbook: openpyxl.Workbook, name: str) -> None:
    assert workbook[name].freeze_panes == "A2"


def test_table_column_widths_come_from_the_layout(workbook: openpyxl.Workbook) -> None:
    for sheet, letter, field in table_columns():
        # The writer adds Excel's cell padding (a fraction of a character) to the width asked.
        assert field.width <= column_dimension(workbook[sheet], letter).width < field.width + 1, (
            sheet, field.label)


# --- Dropdowns and input messages -------------------------------------------------


def test_every_closed_list_on_a_form_has_a_dropdown_on_its_value_cell(workbook: openpyxl.Workbook) -> None:
    for sheet, row, field in form_fields():
        lists = [dv for dv in validations_at(workbook[sheet], f"B{row}") if dv.type == "list"]
        if field.choices:
            assert len(lists) == 1, field.label
            assert dropdown_values(workbook, lists[0]) == field.choices
        else:
            assert lists == [], field.label


def test_every_closed_list_column_has_a_dropdown_down_to_the_last_accepted_row(
        workbook: openpyxl.Workbook) -> None:
    for sheet, letter, field in table_columns():
        ws = workbook[sheet]
        lists = [dv for dv in validations_at(ws, f"{letter}2") if dv.type == "list"]
        if not field.choices:
            assert lists == [], (sheet, field.label)
            continue
        assert len(lists) == 1, (sheet, field.label)
        assert f"{letter}{LAST_DATA_ROW}" in lists[0].sqref
        assert dropdown_values(workbook, lists[0]) == field.choices, (sheet, field.label)


def test_secret_question_dropdowns_accept_a_question_of_ones_own(workbook: openpyxl.Workbook) -> None:
    for sheet, letter, field in table_columns():
        if field.kind is Kind.QUESTION:
            (dv,) = validations_at(workbook[sheet], f"{letter}2")
            assert not dv.showErrorMessage, (sheet, field.label)


def test_the_long_question_list_lives_on_the_visible_instructions_sheet(workbook: openpyxl.Workbook) -> None:
    field = layout.QUESTIONS[0]
    (dv,) = validations_at(workbook[layout.TELESERVICES[0].sheet], "N2")
    assert dv.formula1.startswith(f"'{layout.README_SHEET}'!$")
    assert dropdown_values(workbook, dv) == field.choices


def test_other_dropdowns_refuse_a_value_outside_the_list(workbook: openpyxl.Workbook) -> None:
    for ws in workbook:
        for dv in ws.data_validations.dataValidation:
            if dv.type == "list" and dropdown_values(workbook, dv) != layout.SECRET_QUESTIONS:
                assert dv.showErrorMessage and dv.errorStyle in (None, "stop"), (ws.title, dv.sqref)


def test_inline_lists_and_messages_fit_excel_limits(workbook: openpyxl.Workbook) -> None:
    for ws in workbook:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.formula1 or "") <= 255
            assert len(dv.promptTitle or "") <= 32 and len(dv.prompt or "") <= 255
            assert len(dv.errorTitle or "") <= 32 and len(dv.error or "") <= 255


def test_hints_are_shown_as_input_messages_on_forms_and_tables(workbook: openpyxl.Workbook) -> None:
    places = [(sheet, f"B{row}", field) for sheet, row, field in form_fields()]
    places += [(sheet, f"{letter}2", field) for sheet, letter, field in table_columns()]
    for sheet, coordinate, field in places:
        if field.hint:
            prompts = [dv.prompt for dv in validations_at(workbook[sheet], coordinate) if dv.showInputMessage]
            assert len(prompts) == 1 and field.hint[:40] in prompts[0], (sheet, field.label)


def test_fields_required_only_for_an_abonnement_say_so(workbook: openpyxl.Workbook) -> None:
    for sheet, row, field in form_fields():
        if field.required_for == layout.FOR_ABONNEMENT:
            (dv,) = validations_at(workbook[sheet], f"B{row}")
            assert dv.prompt.startswith("Obligatoire pour un Abonnement"), field.label
            assert "Abonnement" in workbook[sheet].cell(row=row, column=3).value


# --- Formats ------------------------------------------------------------------------


def test_identifier_phone_login_password_and_answer_columns_are_text(workbook: openpyxl.Workbook) -> None:
    for sheet, letter, field in table_columns():
        expected = "@" if field.kind in layout.TEXT_FORMAT_KINDS else "General"
        assert column_dimension(workbook[sheet], letter).number_format == expected, (sheet, field.label)


def test_the_text_format_is_written_as_a_column_style_that_excel_applies_to_typed_cells() -> None:
    # Read the XML itself: openpyxl reading back its own column styles proves little.
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(BytesIO(template_bytes())) as archive:
        xfs = ElementTree.fromstring(archive.read("xl/styles.xml")).findall("m:cellXfs/m:xf", ns)
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet4.xml"))  # Télédéclaration interne
    login = 1 + layout.TELESERVICES[0].columns.index(layout.LOGIN)
    (col,) = [c for c in sheet.findall("m:cols/m:col", ns) if c.get("min") == c.get("max") == str(login)]
    assert xfs[int(col.get("style"))].get("numFmtId") == "49"  # Excel's built-in "@"


def test_identifier_phone_and_password_values_on_forms_are_text(workbook: openpyxl.Workbook) -> None:
    for sheet, row, field in form_fields():
        expected = "@" if field.kind in layout.TEXT_FORMAT_KINDS else "General"
        assert workbook[sheet].cell(row=row, column=2).number_format == expected, (sheet, field.label)


# --- Lisez-moi ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def instructions(workbook: openpyxl.Workbook) -> str:
    ws = workbook[layout.README_SHEET]
    return "\n".join(str(cell.value) for cell in ws["A"] if cell.value)


def test_the_instructions_name_every_sheet_request_type_and_action(instructions: str) -> None:
    for word in (*layout.SHEET_ORDER[1:], *REQUEST_TYPE_LABELS.values(), *ACTIONS):
        assert word in instructions, word


@pytest.mark.parametrize("fact", [
    "formulaire d'abonnement", "signer et cacheter", "mot de passe actuel", "approbation de l'Agence Virtuelle",
    "5 à 10 caractères", "lettres sans accent", "trois questions secrètes différentes", "propre login",
    "Rien n'est supprimé", ".xlsx", ".zip", "rouge", "un X dans chaque catégorie",
])
def test_the_instructions_explain(instructions: str, fact: str) -> None:
    assert fact in instructions


def test_the_instructions_end_with_the_agence_virtuelle_contact(instructions: str) -> None:
    assert instructions.endswith("Responsable de l'Agence Virtuelle\n100, Bd Abdelmoumen, 20340 – Casablanca\n"
                                 "E-mail : agencevirtuelle@cimr.ma")


def test_the_instructions_column_is_wide_and_wrapped(workbook: openpyxl.Workbook) -> None:
    ws = workbook[layout.README_SHEET]
    assert ws.column_dimensions["A"].width >= 80
    assert all(cell.alignment.wrap_text for cell in ws["A"] if cell.value)


# --- Helpers ------------------------------------------------------------------------


def test_clip_leaves_short_text_alone_and_cuts_long_text_at_a_word() -> None:
    assert clip("Nom", 32) == "Nom"
    assert clip("Nombre de confirmations E@syPaiement", 32) == "Nombre de confirmations…"
    assert len(clip("mot " * 100, 255)) <= 255


# --- Paper ------------------------------------------------------------------------------

MAX_PRINTED_PAGES = 20
SECRET_KINDS = (Kind.PASSWORD, Kind.QUESTION, Kind.ANSWER)


@pytest.mark.parametrize("service", layout.TELESERVICES, ids=lambda t: t.sheet)
def test_user_tables_print_readable_across_pages_the_columns_filled_on_paper(
        workbook: openpyxl.Workbook, service: layout.UserSheet) -> None:
    ws = workbook[service.sheet]
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.scale == 75  # 11-point text prints at 8.25 points
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows.replace("$", "") == "1:1"
    assert ws.print_title_cols.replace("$", "") == "C:D"  # Nom, Prénom on every page
    assert ws.print_options.gridLines  # a grid to fill by hand
    # The columns filled on paper come first, up to Login; the secrets after it do not print.
    labels = [f.kind for f in service.columns]
    paper = [kind not in SECRET_KINDS for kind in labels]
    assert paper == sorted(paper, reverse=True)
    last = get_column_letter(paper.count(True))
    assert service.columns[paper.count(True) - 1].key == "login"
    assert ws.print_area.replace("$", "") == f"'{service.sheet}'!A1:{last}26"


def test_the_category_matrix_prints_one_page_wide_with_its_header_row_repeated(
        workbook: openpyxl.Workbook) -> None:
    ws = workbook[layout.CATEGORIES_SHEET]
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)  # 1 is the default
    assert ws.print_title_rows.replace("$", "") == "1:1"
    assert ws.page_setup.orientation == "portrait"


def test_the_instructions_print_alone_within_the_margins(workbook: openpyxl.Workbook) -> None:
    ws = workbook[layout.README_SHEET]
    # Column A only (the wrapped instructions), not the lists beside them.
    assert ws.print_area.replace("$", "") == f"'{layout.README_SHEET}'!A1:A{len(readme_paragraphs())}"
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.page_setup.orientation == "portrait"


def printed_sizes(page: pypdf.PageObject) -> list[float]:
    """The size in points each piece of text of `page` prints at (its font size through its matrices)."""
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
            c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            sizes.append(size * abs(a * d - b * c) ** 0.5)

    page.extract_text(visitor_text=visit)
    return sizes


def _calibri_is_carlito() -> bool:
    """Whether LibreOffice prints Calibri (the workbook's font) with Carlito, its metric-compatible twin.

    Without it LibreOffice falls back to a wider font (DejaVu Sans) and the Lisez-moi runs one page longer:
    the page count would measure the machine's fonts, not the template."""
    if shutil.which("fc-match") is None:
        return False
    found = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True, check=False)
    return "Carlito" in found.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
@pytest.mark.skipif(not _calibri_is_carlito(),
                    reason="Calibri's metric-compatible font is not installed: apt-get install fonts-crosextra-carlito")
def test_the_blank_template_prints_readable_on_at_most_20_a4_pages(tmp_path: Path) -> None:
    source = tmp_path / "bordereau.xlsx"
    source.write_bytes(template_bytes())
    profile = tmp_path / "soffice-profile"  # private: parallel runs must not share one
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=180, check=False, env={**os.environ, "HOME": str(profile)})
    assert result.returncode == 0, result.stdout + result.stderr
    pages = pypdf.PdfReader(tmp_path / "bordereau.pdf").pages
    assert len(layout.SHEET_ORDER) <= len(pages) <= MAX_PRINTED_PAGES
    # Every page is A4, in either orientation, and every text on it prints at 8 points at least
    # (fitted to one page's width, the user sheets printed at about 3 points).
    assert {tuple(sorted((round(p.mediabox.width), round(p.mediabox.height)))) for p in pages} == {(595, 842)}
    assert min(min(printed_sizes(page)) for page in pages) >= 8
    texts = [" ".join((page.extract_text() or "").split()) for page in pages]
    firsts = [i for i, text in enumerate(texts) if text.startswith("Action Civilité Nom * Prénom * Fonction *")]
    assert len(firsts) == len(layout.TELESERVICES)  # in the sheets' order
    for service, first in zip(layout.TELESERVICES, firsts):
        # Its pages: the header row first on each, Nom and Prénom repeated on the second.
        assert texts[first + 1].startswith("Nom * Prénom *"), texts[first + 1]
        printed = f"{texts[first]} {texts[first + 1]}"
        for fld in service.columns:
            assert (fld.label in printed) is (fld.kind not in SECRET_KINDS), (service.sheet, fld.label)
