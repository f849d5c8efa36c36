"""The template pre-filled with one company's current data: `provisioner template --adherent NUMERO`.

A company edits what it has instead of retyping it. The workbook is the
blank template (`build_template`) with:

- the `Adhérent` form as a « Mise à jour » of that company, with its details
  and its number of E@syPaiement confirmations;
- the `Délégué` form with the delegate on record, password cells empty: the
  person types the current administrator password, which authenticates the
  workbook;
- every account on its téléservice sheet, Action blank, all non-secret
  fields, Ordonnateur/Validateur as Oui/Non; disabled accounts too (a blank
  row never changes an account's status), marked with a comment;
- one `Catégories` row per télédéclaration login.

Sent back unchanged (with the administrator password typed in) it changes
nothing: every row plans as `unchanged`, and the company and delegate cells
equal what is on record, so no request is raised.

No secret is written: no password, no secret question or answer (blank
cells keep what an account has), and no hash ever leaves the store. Values
from the store are written as inert text (never a formula).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provisioner.domain.view import ACCOUNT_FIELDS, AccountState, CompanyState
from provisioner.domain.vocabulary import (
    ADHERENT_DETAIL_KEYS,
    CATEGORIES,
    CATEGORY_MARKS,
    DELEGUE_DETAIL_KEYS,
    Action,
    RequestType,
)
from provisioner.reports.files import write_atomic
from provisioner.wording import dates, workbook_text
from provisioner.workbook import layout
from provisioner.workbook.book import Book, Cell, Sheet, put_text
from provisioner.workbook.places import Places, template_places
from provisioner.workbook.readme import TITLE
from provisioner.workbook.render import FIRST_DATA_ROW, finish, render
from provisioner.workbook.xlsx_writer import to_xlsx

NOTE_COLOR = "9C0006"
DISABLED_COLOR = "808080"
_NOTE_HEIGHT = 60

DISABLED_COMMENT = workbook_text.disabled_comment(layout.ACTION.label, Action.REACTIVER.value)
PASSWORD_COMMENT = workbook_text.PASSWORD_COMMENT


@dataclass(frozen=True)
class Snapshot:
    """One company as the store holds it: what the pre-filled workbook shows (the service reads it)."""

    company: CompanyState
    raison_sociale: str
    accounts: tuple[AccountState, ...]  # in the workbook's order: sheet, then login


def write_prefilled_workbook(snapshot: Snapshot, path: str | os.PathLike[str], *, now: datetime) -> Path:
    """Write the pre-filled workbook of `snapshot` to `path` (atomically); returns where it went."""
    title = workbook_text.prefilled_title(TITLE, snapshot.company.numero)
    data = to_xlsx(build_prefilled(snapshot, now=now), title=title, created=now.replace(tzinfo=None))
    return write_atomic(path, data)


def build_prefilled(snapshot: Snapshot, *, now: datetime) -> Book:
    """The template (`render`) with the company's values in its cells."""
    book: Book = {}
    places = template_places()
    render(book, places)
    _fill_adherent(book[layout.ADHERENT_SHEET], places[layout.ADHERENT_SHEET], snapshot, now)
    _fill_delegue(book[layout.DELEGUE_SHEET], places[layout.DELEGUE_SHEET], snapshot.company)
    for service in layout.TELESERVICES:
        mine = [a for a in snapshot.accounts if a.teleservice == service.key]
        _fill_users(book[service.sheet], places[service.sheet], service, mine)
    _fill_categories(book[layout.CATEGORIES_SHEET], places[layout.CATEGORIES_SHEET], snapshot.accounts)
    _mark_readme(book[layout.README_SHEET], snapshot, now)
    return finish(book)


def _fill_adherent(sheet: Sheet, places: Places, snapshot: Snapshot, now: datetime) -> None:
    company = snapshot.company
    values = {key: company.company.get(key) or "" for key in ADHERENT_DETAIL_KEYS}
    values.update(type_demande=RequestType.MISE_A_JOUR.label, numero=company.numero,
                  raison_sociale=snapshot.raison_sociale,
                  confirmations=str(company.confirmations), email_notification=company.notification_email or "")
    for key, value in values.items():
        put_text(sheet.cell(*places.value_cell(key)), value)
    _write_note(sheet, max(places.rows.values()) + 2, prefill_note(company.numero, now))


def _fill_delegue(sheet: Sheet, places: Places, company: CompanyState) -> None:
    for key in DELEGUE_DETAIL_KEYS:
        put_text(sheet.cell(*places.value_cell(key)), company.delegue.get(key) or "")
    # Every password cell stays empty; the one to type gets a reminder.
    sheet.cell(*places.value_cell("password")).note = [PASSWORD_COMMENT]


def _fill_users(sheet: Sheet, places: Places, service: layout.UserSheet, accounts: list[AccountState]) -> None:
    for row, account in enumerate(accounts, start=FIRST_DATA_ROW):
        for key, value in account_values(account, service).items():
            cell = sheet.cell(row, places.columns[key])
            put_text(cell, value)
            if not account.active:
                cell.italic, cell.color = True, DISABLED_COLOR
        if not account.active:
            sheet.cell(row, places.columns["login"]).note = [DISABLED_COMMENT]


def account_values(account: AccountState, service: layout.UserSheet) -> dict[str, str]:
    """The cells of an account's row: the non-secret fields its sheet has; Action, secrets and questions blank."""
    keys = {c.key for c in service.columns}
    values = {k: account.fields.get(k, "") for k in ACCOUNT_FIELDS if k in keys}
    values["login"] = account.login
    if layout.ORDONNATEUR.key in keys:
        values[layout.ORDONNATEUR.key] = _oui_non(account.ordonnateur)
        values[layout.VALIDATEUR.key] = _oui_non(account.validateur)
    return values


def _fill_categories(sheet: Sheet, places: Places, accounts: tuple[AccountState, ...]) -> None:
    td_keys = {t.key for t in layout.TELESERVICES if t.categories}
    # A row replaces the user's categories: an account without any gets no row (no row keeps them).
    rows = [a for a in accounts if a.teleservice in td_keys and a.categories]
    for row, account in enumerate(rows, start=FIRST_DATA_ROW):
        put_text(sheet.cell(row, places.columns[layout.CATEGORY_LOGIN.key]), account.login)
        for category in CATEGORIES:
            if category in account.categories:
                put_text(sheet.cell(row, places.columns[category]), CATEGORY_MARKS[0])


def _mark_readme(sheet: Sheet, snapshot: Snapshot, now: datetime) -> None:
    # The subtitle (row 2) is replaced rather than rows inserted: the dropdowns
    # point at absolute ranges of this sheet, which an insertion would shift.
    name = f" ({snapshot.raison_sociale})" if snapshot.raison_sociale else ""
    cell = sheet.cells[(2, 1)] = Cell(bold=True, color=NOTE_COLOR, wrap=True)
    put_text(cell, workbook_text.prefilled_subtitle(layout.TEMPLATE_VERSION, dates.day(now),
                                                    snapshot.company.numero, name, layout.ADHERENT_SHEET))


def prefill_note(numero: str, now: datetime) -> str:
    """The instructions that only a pre-filled workbook needs, in French."""
    return workbook_text.prefill_note(dates.day(now), numero, layout.DELEGUE_SHEET, layout.ACTION.label)


# --- Cells --------------------------------------------------------------------------


def _write_note(sheet: Sheet, row: int, text: str) -> None:
    # Below the form, across label, value and help: the reader only takes rows whose label it knows.
    sheet.merges.append((row, 1, row, 3))
    cell = sheet.cells[(row, 1)] = Cell(bold=True, color=NOTE_COLOR, wrap=True)
    put_text(cell, text)
    sheet.heights[row] = _NOTE_HEIGHT


def _oui_non(flag: bool) -> str:
    return layout.OUI_NON[0] if flag else layout.OUI_NON[1]
