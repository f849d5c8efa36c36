"""The planner on hand-written sheets: plain values in, changes and located findings out, no workbook file."""

from __future__ import annotations

from provisioner.domain.columns import ACCOUNT_LABELS, account_columns
from provisioner.domain.plan import make_plan
from provisioner.domain.sheets import Form, Row, Sheets, Table
from provisioner.domain.view import AccountState, CompanyState, StoreView
from provisioner.domain.vocabulary import CATEGORIES, ChangeAction, RequestKind, RequestType, Teleservice

QUESTIONS = {"question1": "Q1 ?", "answer1": "r1", "question2": "Q2 ?", "answer2": "r2",
             "question3": "Q3 ?", "answer3": "r3"}
COMPANY = CompanyState("123456", "active", confirmations=1, company={"ville": "Casablanca"}, id=1)


def _table(teleservice: Teleservice, *rows: dict[str, str]) -> Table:
    keys = ("action", *account_columns(teleservice))
    return Table(sheet=f"sheet {teleservice}", rows=tuple(Row(2 + i, r) for i, r in enumerate(rows)),
                 labels={"action": "Action", **{k: ACCOUNT_LABELS[k] for k in keys[1:]}},
                 letters={k: chr(ord("A") + i) for i, k in enumerate(keys)})


def _form(sheet: str, **values: str) -> Form:
    return Form(sheet, values, {k: f"Libellé {k}" for k in values},
                {k: (3 + i, f"B{3 + i}") for i, k in enumerate(values)})


def _sheets(request_type: RequestType, users: dict[Teleservice, Table], *categories: dict[str, str],
            **adherent: str) -> Sheets:
    tables = {t: users.get(t, _table(t)) for t in Teleservice}
    matrix = Table("Catégories", tuple(Row(2 + i, r) for i, r in enumerate(categories)),
                   {"login": "Login", **{c: c for c in CATEGORIES}},
                   {"login": "A", **{c: chr(ord("B") + i) for i, c in enumerate(CATEGORIES)}})
    return Sheets(request_type, _form("Adhérent", **adherent), _form("Délégué"), tables, matrix)


def _hind(**values: str) -> dict[str, str]:
    return {"action": "", "nom": "Berrada", "prenom": "Hind", "fonction": "Paie", "email": "h@x.ma",
            "login": "Hind.TD", "mode": "Formulaire de saisie", **QUESTIONS, **values}


def test_a_row_and_its_category_marks_make_one_creation_with_the_categories() -> None:
    sheets = _sheets(RequestType.MISE_A_JOUR, {Teleservice.TD_INTERNE: _table(Teleservice.TD_INTERNE, _hind())},
                     {"login": "hind.td", "D": "X", "S1": "Oui", "S2": "non"})
    plan = make_plan(sheets, StoreView(COMPANY))
    assert plan.findings == []
    (change,) = plan.changes
    assert (change.action, change.teleservice, change.login, change.row) == (
        ChangeAction.CREATE, "td_interne", "Hind.TD", 2)
    assert change.categories == frozenset({"D", "S1"})
    assert change.generate_password
    assert {"column": "Catégories", "old": None, "new": "D, S1"} in change.fields


def test_a_finding_points_at_the_cell_its_row_and_column_were_read_from() -> None:
    row = {"action": "Modifier", "login": "nobody.ca", "nom": "X"}
    sheets = _sheets(RequestType.MISE_A_JOUR, {Teleservice.COMPTE_ADHERENT: _table(Teleservice.COMPTE_ADHERENT, row)})
    plan = make_plan(sheets, StoreView(COMPANY))
    (finding,) = plan.findings
    login_letter = chr(ord("A") + 1 + account_columns(Teleservice.COMPTE_ADHERENT).index("login"))
    assert (finding.code, finding.sheet, finding.row, finding.column, finding.cell) == (
        "USER_NOT_FOUND", "sheet compte_adherent", 2, "Login", f"{login_letter}2")
    assert "Compte Adhérent" in finding.message and plan.changes == []


def test_two_confirmations_with_one_validator_is_found_at_the_confirmations_cell() -> None:
    payer = {"action": "Créer", "nom": "Alaoui", "prenom": "Sara", "fonction": "RH", "email": "s@x.ma",
             "login": "sara.ep", "ordonnateur": "Oui", "validateur": "Oui", **QUESTIONS}
    sheets = _sheets(RequestType.MISE_A_JOUR, {Teleservice.EASYPAIEMENT: _table(Teleservice.EASYPAIEMENT, payer)},
                     confirmations="2", ville="Rabat")
    plan = make_plan(sheets, StoreView(COMPANY))
    (finding,) = [f for f in plan.findings if f.is_error]
    assert (finding.code, finding.sheet, finding.cell, finding.column) == (
        "EASYPAIEMENT_VALIDATORS", "Adhérent", "B3", "Libellé confirmations")
    assert plan.confirmations == 2
    (request,) = plan.requests
    assert request.kind == RequestKind.COMPANY_CHANGE and request.payload["changes"] == {"ville": "Rabat"}


def test_a_stored_account_named_only_in_categories_gets_its_new_marks() -> None:
    stored = AccountState("td_externe", "omar.td", "omar.td", "active", categories=frozenset({"D"}), id=9)
    sheets = _sheets(RequestType.MISE_A_JOUR, {}, {"login": "OMAR.td", "S0": "X"})
    plan = make_plan(sheets, StoreView(COMPANY, {"omar.td": stored}))
    assert plan.findings == []
    (change,) = plan.changes
    assert (change.action, change.sheet, change.row, change.categories) == (
        ChangeAction.UPDATE, "Catégories", 2, frozenset({"S0"}))
