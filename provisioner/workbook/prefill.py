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
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Engine

from provisioner.domain.view import ACCOUNT_FIELDS, AccountState, CompanyState
from provisioner.reports.files import write_atomic
from provisioner.store import repository as repo
from provisioner.workbook import layout
from provisioner.workbook.template import FIRST_DATA_ROW, TEXT_FORMAT, build_template
from provisioner.workbook.text import label_key

MISE_A_JOUR_LABEL = next(label for label, key in layout.REQUEST_TYPES.items() if key == layout.MISE_A_JOUR)
COMMENT_AUTHOR = "CIMR"
# Excel reads a cell starting with one of these as a formula when the person edits it.
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_NOTE_FONT = Font(bold=True, color="9C0006")
_DISABLED_FONT = Font(italic=True, color="808080")

DISABLED_COMMENT = (f"Compte désactivé. Laissez « {layout.ACTION.label} » vide pour le garder tel quel, "
                    f"ou choisissez « {layout.Action.REACTIVER.value} » pour le réactiver.")
PASSWORD_COMMENT = ("Saisissez ici le mot de passe actuel de l'administrateur des utilisateurs : il "
                    "authentifie le fichier. Il n'a pas été pré-rempli.")


class UnknownAdherent(LookupError):
    """Aucun adhérent n'a le numéro {numero}."""

    def __init__(self, numero: str) -> None:
        self.numero = numero
        super().__init__((self.__doc__ or "").format(numero=numero))


@dataclass(frozen=True)
class Snapshot:
    """One company as the store holds it: what the pre-filled workbook shows."""

    company: CompanyState
    raison_sociale: str
    accounts: tuple[AccountState, ...]  # in the workbook's order: sheet, then login


@dataclass(frozen=True)
class Prefilled:
    """What was written, for the command to say (never a value of the workbook)."""

    path: Path
    numero: str
    status: str  # pending | active: a pending company cannot send a Mise à jour yet
    accounts: int
    disabled: int


# --- Reading the store ------------------------------------------------------------


def load_snapshot(engine: Engine, numero: str) -> Snapshot:
    """The company `numero` and its accounts (read the way the pipeline plans against them)."""
    with engine.connect() as conn:
        row = repo.find_adherent(conn, numero)
        if row is None:
            raise UnknownAdherent(numero)
        view = repo.load_view(conn, row, ())
    assert view.company is not None
    order = {t.key: i for i, t in enumerate(layout.TELESERVICES)}
    accounts = sorted(view.accounts.values(), key=lambda a: (order.get(a.teleservice, len(order)), a.login_key))
    # The details the planner compares a Mise à jour with are those of `company`: taking the
    # name from there first is what makes an unchanged workbook raise no request.
    name = view.company.company.get("raison_sociale") or row.raison_sociale or ""
    return Snapshot(view.company, name, tuple(accounts))


# --- Writing the workbook ---------------------------------------------------------


def write_prefilled(engine: Engine, numero: str, path: str | os.PathLike[str], *, now: datetime) -> Prefilled:
    """Write the pre-filled workbook of `numero` to `path` (atomically) and say what it holds."""
    snapshot = load_snapshot(engine, numero)
    buffer = BytesIO()
    build_prefilled(snapshot, now=now).save(buffer)
    target = write_atomic(path, buffer.getvalue())
    disabled = sum(1 for a in snapshot.accounts if not a.active)
    return Prefilled(target, numero, snapshot.company.status, len(snapshot.accounts), disabled)


def build_prefilled(snapshot: Snapshot, *, now: datetime) -> Workbook:
    wb = build_template()
    _fill_adherent(wb[layout.ADHERENT_SHEET], snapshot, now)
    _fill_delegue(wb[layout.DELEGUE_SHEET], snapshot.company)
    for service in layout.TELESERVICES:
        mine = [a for a in snapshot.accounts if a.teleservice == service.key]
        _fill_users(wb[service.sheet], service, mine)
    _fill_categories(wb[layout.CATEGORIES_SHEET], snapshot.accounts)
    _mark_readme(wb[layout.README_SHEET], snapshot, now)
    wb.properties.title = f"Bordereau TéléServices CIMR — pré-rempli pour l'adhérent {snapshot.company.numero}"
    wb.properties.created = wb.properties.modified = now.replace(tzinfo=None)
    return wb


def _fill_adherent(ws: Worksheet, snapshot: Snapshot, now: datetime) -> None:
    company = snapshot.company
    values = {key: company.company.get(key) or "" for key in layout.ADHERENT_DETAIL_KEYS}
    values.update(type_demande=MISE_A_JOUR_LABEL, numero=company.numero, raison_sociale=snapshot.raison_sociale,
                  confirmations=str(company.confirmations), email_notification=company.notification_email or "")
    rows = _form_rows(ws, layout.ADHERENT_FIELDS)
    for key, value in values.items():
        _put_text(ws.cell(row=rows[key], column=2), value)
    _write_note(ws, max(rows.values()) + 2, prefill_note(company.numero, now))


def _fill_delegue(ws: Worksheet, company: CompanyState) -> None:
    rows = _form_rows(ws, layout.DELEGUE_FIELDS)
    for key in layout.DELEGUE_DETAIL_KEYS:
        _put_text(ws.cell(row=rows[key], column=2), company.delegue.get(key) or "")
    # Every password cell stays empty; the one to type gets a reminder.
    ws.cell(row=rows["password"], column=2).comment = _comment(PASSWORD_COMMENT)


def _fill_users(ws: Worksheet, service: layout.Teleservice, accounts: list[AccountState]) -> None:
    columns = _table_columns(ws, service.columns)
    for row, account in enumerate(accounts, start=FIRST_DATA_ROW):
        for key, value in account_values(account, service).items():
            cell = ws.cell(row=row, column=columns[key])
            _put_text(cell, value)
            if not account.active:
                cell.font = _DISABLED_FONT
        if not account.active:
            ws.cell(row=row, column=columns["login"]).comment = _comment(DISABLED_COMMENT)


def account_values(account: AccountState, service: layout.Teleservice) -> dict[str, str]:
    """The cells of an account's row: the non-secret fields its sheet has; Action, secrets and questions blank."""
    keys = {c.key for c in service.columns}
    values = {k: account.fields.get(k, "") for k in ACCOUNT_FIELDS if k in keys}
    values["login"] = account.login
    if layout.ORDONNATEUR.key in keys:
        values[layout.ORDONNATEUR.key] = _oui_non(account.ordonnateur)
        values[layout.VALIDATEUR.key] = _oui_non(account.validateur)
    return values


def _fill_categories(ws: Worksheet, accounts: tuple[AccountState, ...]) -> None:
    columns = _table_columns(ws, layout.CATEGORY_COLUMNS)
    td_keys = {t.key for t in layout.TELESERVICES if t.categories}
    # A row replaces the user's categories: an account without any gets no row (no row keeps them).
    rows = [a for a in accounts if a.teleservice in td_keys and a.categories]
    for row, account in enumerate(rows, start=FIRST_DATA_ROW):
        _put_text(ws.cell(row=row, column=columns[layout.CATEGORY_LOGIN.key]), account.login)
        for category in layout.CATEGORIES:
            if category in account.categories:
                _put_text(ws.cell(row=row, column=columns[category]), layout.CATEGORY_MARKS[0])


def _mark_readme(ws: Worksheet, snapshot: Snapshot, now: datetime) -> None:
    # The subtitle (row 2) is replaced rather than rows inserted: the dropdowns
    # point at absolute ranges of this sheet, which an insertion would shift.
    name = f" ({snapshot.raison_sociale})" if snapshot.raison_sociale else ""
    _put_text(ws.cell(row=2, column=1),
              f"Modèle {layout.TEMPLATE_VERSION} pré-rempli le {now:%d/%m/%Y} pour l'adhérent "
              f"{snapshot.company.numero}{name}. Lisez d'abord la note en bas de l'onglet "
              f"« {layout.ADHERENT_SHEET} ».")
    ws.cell(row=2, column=1).font = _NOTE_FONT


def prefill_note(numero: str, now: datetime) -> str:
    """The instructions that only a pre-filled workbook needs, in French."""
    return (f"Fichier pré-rempli le {now:%d/%m/%Y} avec les données enregistrées pour l'adhérent {numero}. "
            "Modifiez seulement ce qui change. Laissez vides les mots de passe, les questions et les "
            "réponses secrètes des lignes que vous ne changez pas : une cellule vide conserve la valeur "
            f"actuelle. Avant d'envoyer le fichier, saisissez le mot de passe actuel de l'administrateur "
            f"dans l'onglet « {layout.DELEGUE_SHEET} » (« Mot de passe »). Les comptes désactivés figurent "
            f"aussi, en gris : laissez leur « {layout.ACTION.label} » vide pour les garder désactivés.")


# --- Cells --------------------------------------------------------------------------


def _form_rows(ws: Worksheet, fields: tuple[layout.Field, ...]) -> dict[str, int]:
    """Field key → row of its label in column A, matched as the reader matches labels."""
    by_label = {label_key(f.label): f.key for f in fields}
    rows: dict[str, int] = {}
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        key = by_label.get(label_key(str(cell.value or "")))
        if key is not None:
            rows.setdefault(key, cell.row)
    return rows


def _table_columns(ws: Worksheet, fields: tuple[layout.Field, ...]) -> dict[str, int]:
    """Field key → column of its header in row 1."""
    by_label = {label_key(f.label): f.key for f in fields}
    return {by_label[label_key(str(c.value))]: c.column for c in ws[1]
            if c.value is not None and label_key(str(c.value)) in by_label}


def _put_text(cell: Cell, value: str) -> None:
    """Write a stored value as inert text.

    A name typed as "=HYPERLINK(...)" was stored as text; openpyxl would turn
    it back into a formula: the type is forced to a string, and the quote
    prefix keeps Excel from reading it as one when the person edits the cell.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not text:
        return
    cell.value = text
    cell.data_type = "s"
    cell.number_format = TEXT_FORMAT
    if text.startswith(_FORMULA_TRIGGERS):
        cell.quotePrefix = True


def _write_note(ws: Worksheet, row: int, text: str) -> None:
    # Column A below the form: the reader only takes rows whose label it knows.
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    cell = ws.cell(row=row, column=1)
    _put_text(cell, text)
    cell.font = _NOTE_FONT
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 60


def _comment(text: str) -> Comment:
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width, comment.height = 300, 110
    return comment


def _oui_non(flag: bool) -> str:
    return layout.OUI_NON[0] if flag else layout.OUI_NON[1]
