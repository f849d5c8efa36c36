"""Workbooks built in code, as a person would fill the template.

`make_workbook(path, ...)` writes a real `.xlsx` with openpyxl: the forms in
columns A/B, user tables with headers in row 1. Defaults make a valid
Abonnement for company 123456 with one internal télédéclaration user.
Field values are given by layout key (`nom`, `password`, ...); a value may be
any Python value openpyxl can write (str, int, float, bool, a formula "=...").
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from provisioner.domain.keys import label_key
from provisioner.workbook import layout

ADMIN_PASSWORD = "Deleg2026"
USER_PASSWORD = "Pass2026"

QA = {
    "question1": layout.SECRET_QUESTIONS[0], "answer1": "Fatima",
    "question2": layout.SECRET_QUESTIONS[1], "answer2": "Industrie",
    "question3": layout.SECRET_QUESTIONS[2], "answer3": "Lyautey",
}


def adherent(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "version": layout.TEMPLATE_VERSION, "type_demande": "Abonnement", "numero": "123456",
        "raison_sociale": "Boulangerie Al Baraka SARL", "adresse": "12, rue Ibn Batouta",
        "ville": "Rabat", "rc": "456789", "localite_rc": "Rabat", "patente": "34567890",
        "civilite": "M.", "nom": "Bennani", "prenom": "Karim", "fonction": "Directeur général",
        "tel1": "0522987654", "email": "direction@albaraka.ma",
    }
    values.update(overrides)
    return values


def delegue(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "civilite": "Mme", "nom": "Berrada", "prenom": "Hind", "fonction": "Responsable RH",
        "tel": "0522111222", "email": "hind.berrada@albaraka.ma",
        "password": ADMIN_PASSWORD, "password_confirm": ADMIN_PASSWORD,
    }
    values.update(overrides)
    return values


def user(login: str, teleservice: str = "td_interne", **overrides: Any) -> dict[str, Any]:
    """A complete user row for `teleservice`, valid for a creation."""
    values: dict[str, Any] = {
        "civilite": "Mme", "nom": "Alaoui", "prenom": "Sara", "fonction": "Gestionnaire RH",
        "telephone": "0522123456", "gsm": "0661234567", "email": f"{login}@exemple.ma",
        "login": login, "password": USER_PASSWORD, "password_confirm": USER_PASSWORD, **QA,
    }
    if teleservice == "td_interne":
        values["mode"] = "Formulaire de saisie"
    elif teleservice == "td_externe":
        values.update(mode="Fichier préétabli", prestataire="Cabinet Lahlou")
    elif teleservice == "easypaiement":
        values.update(ordonnateur="Oui", validateur="Oui")
    values.update(overrides)
    return values


def default_users() -> dict[str, list[dict[str, Any]]]:
    return {"td_interne": [user("hind.td")]}


def default_categories() -> list[dict[str, Any]]:
    return [{"login": "hind.td", "D": "X", "S0": "X"}]


def make_workbook(
    path: Path | str,
    *,
    adherent_values: dict[str, Any] | None = None,
    delegue_values: dict[str, Any] | None = None,
    users: dict[str, list[dict[str, Any]]] | None = None,
    categories: list[dict[str, Any]] | None = None,
    headers: dict[str, list[str]] | None = None,
    omit_sheets: tuple[str, ...] = (),
    blank_rows_before: dict[str, int] | None = None,
    form_labels: dict[str, dict[str, str | None]] | None = None,
) -> Path:
    """Write a workbook; returns its path.

    `headers` replaces the header row of a table sheet (by sheet name), to test
    column order, unknown or missing columns. `blank_rows_before` inserts fully
    blank rows before the data of a table sheet. `form_labels` replaces the
    label of a form field (by sheet name, then field key); None leaves the
    field's row out, to test a missing label.
    """
    path = Path(path)
    adherent_values = adherent() if adherent_values is None else adherent_values
    delegue_values = delegue() if delegue_values is None else delegue_values
    users = default_users() if users is None else users
    categories = default_categories() if categories is None else categories
    headers = headers or {}
    blank_rows_before = blank_rows_before or {}
    form_labels = form_labels or {}

    wb = openpyxl.Workbook()
    wb.active.title = layout.README_SHEET
    wb.active["A1"] = "Bordereau TéléServices CIMR"
    for form in layout.FORM_SHEETS:
        if form.name in omit_sheets:
            continue
        values = adherent_values if form.name == layout.ADHERENT_SHEET else delegue_values
        ws = wb.create_sheet(form.name)
        labels = form_labels.get(form.name, {})
        row = 0
        for fld in form.fields:
            label = labels.get(fld.key, fld.label + (" *" if fld.required_for >= layout.ALWAYS else ""))
            if label is None:
                continue
            row += 1
            ws.cell(row=row, column=1, value=label)
            if values.get(fld.key) is not None:
                ws.cell(row=row, column=2, value=values[fld.key])
    tables = [(t.sheet, t.columns, users.get(t.key, [])) for t in layout.TELESERVICES]
    tables.append((layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS, categories))
    for sheet, columns, rows in tables:
        if sheet in omit_sheets:
            continue
        ws = wb.create_sheet(sheet)
        header = headers.get(sheet) or [c.label for c in columns]
        ws.append(header)
        for _ in range(blank_rows_before.get(sheet, 0)):
            ws.append([None] * len(header))
        # Headers match as the reader matches them (case, accents, `*`, spaces).
        by_label = {label_key(c.label): c.key for c in columns}
        for values in rows:
            ws.append([values.get(by_label.get(label_key(h), h)) for h in header])
    wb.save(path)
    return path


SPREADSHEET_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_shared_strings(valid: Path, target: Path, count: int, *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """`valid` with a shared-string table (one string) that declares `count` strings: the crafted file
    that makes calamine allocate for them all. ZIP_STORED keeps every cell readable in the file's bytes."""
    sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="' + SPREADSHEET_NS
           + b'" count="' + str(count).encode() + b'" uniqueCount="' + str(count).encode()
           + b'"><si><t>x</t></si></sst>')
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(target, "w", compression) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                    b'application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                    b'sharedStrings+xml"/></Types>')
            out.writestr(info.filename, data, compress_type=compression)
        out.writestr("xl/sharedStrings.xml", sst)
    return target
