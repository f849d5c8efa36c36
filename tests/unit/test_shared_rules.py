"""A rule both the store-free check and the planner apply says one thing, whichever finds it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from provisioner.domain.columns import ACCOUNT_LABELS, account_columns
from provisioner.domain.findings import ERROR_CODES, Finding, FindingCode, Severity
from provisioner.domain.plan import make_plan
from provisioner.domain.sheets import Form, Row, Sheets, Table
from provisioner.domain.view import CompanyState, StoreView
from provisioner.domain.vocabulary import CATEGORIES, RequestType, Teleservice
from provisioner.wording.check_findings import EASYPAIEMENT_ROLE_MESSAGE
from provisioner.workbook.checker import check_file
from tests.factory import make_workbook, user

FRENCH_LETTERS = re.compile(r"[a-zéèàç]")
COMPANY = CompanyState("123456", "active", confirmations=1, company={}, id=1)


def _planned(users: dict[Teleservice, list[dict[str, str]]], *categories: dict[str, str]) -> list[Finding]:
    """The planner's findings on a Mise à jour of `users` against a company without accounts."""
    tables = {}
    for teleservice in Teleservice:
        keys = ("action", *account_columns(teleservice))
        rows = tuple(Row(2 + i, {k: str(v) for k, v in r.items() if v is not None})
                     for i, r in enumerate(users.get(teleservice, [])))
        tables[teleservice] = Table(teleservice.label, rows, {"action": "Action", **{k: ACCOUNT_LABELS[k]
                                                                                      for k in keys[1:]}},
                                    {k: chr(ord("A") + i) for i, k in enumerate(keys)})
    matrix = Table("Catégories", tuple(Row(2 + i, r) for i, r in enumerate(categories)),
                   {"login": "Login", **{c: c for c in CATEGORIES}},
                   {"login": "A", **{c: chr(ord("B") + i) for i, c in enumerate(CATEGORIES)}})
    sheets = Sheets(RequestType.MISE_A_JOUR, Form("Adhérent", {}, {}, {}), Form("Délégué", {}, {}, {}),
                    tables, matrix)
    return make_plan(sheets, StoreView(COMPANY)).findings


def _checked(tmp_path: Path, **workbook: Any) -> list[Finding]:
    return list(check_file(make_workbook(tmp_path / "bordereau.xlsx", **workbook)).errors)


def _message(findings: list[Finding], code: str) -> str:
    (message,) = {f.message for f in findings if f.code == code}
    return message


def test_a_user_without_any_power_is_told_the_same_by_the_check_and_the_planner(tmp_path: Path) -> None:
    payer = user("sara.ep", "easypaiement", action="Créer", ordonnateur="Non", validateur="Non")
    checked = _checked(tmp_path, users={"easypaiement": [payer]})
    planned = _planned({Teleservice.EASYPAIEMENT: [payer]})
    assert _message(checked, "EASYPAIEMENT_ROLE") == _message(planned, "EASYPAIEMENT_ROLE")
    assert "Ordonnateur" in _message(planned, "EASYPAIEMENT_ROLE")


def test_a_category_row_for_an_unknown_login_is_told_the_same_by_both(tmp_path: Path) -> None:
    checked = _checked(tmp_path, categories=[{"login": "hind.td", "D": "X"}, {"login": "inconnu.td", "D": "X"}])
    planned = _planned({}, {"login": "inconnu.td", "D": "X"})
    assert _message(checked, "CATEGORY_UNKNOWN_LOGIN") == _message(planned, "CATEGORY_UNKNOWN_LOGIN")
    assert "« inconnu.td »" in _message(planned, "CATEGORY_UNKNOWN_LOGIN")


def test_a_created_user_without_a_category_row_is_told_the_same_by_both(tmp_path: Path) -> None:
    declarant = user("hind.td", action="Créer")
    checked = _checked(tmp_path, categories=[])
    planned = _planned({Teleservice.TD_INTERNE: [declarant]})
    assert _message(checked, "CATEGORY_MISSING") == _message(planned, "CATEGORY_MISSING")
    assert "ajoutez une ligne" in _message(planned, "CATEGORY_MISSING")


def test_each_finding_code_has_one_entry_with_its_label_and_severity() -> None:
    for code in FindingCode:
        assert code.label and FRENCH_LETTERS.search(code.label), code
        assert code.severity in (Severity.ERROR, Severity.WARNING)
    assert {c for c in FindingCode if c.entry.spec} == ERROR_CODES
    assert FindingCode.EASYPAIEMENT_ROLE.entry.message == EASYPAIEMENT_ROLE_MESSAGE
    assert FindingCode.UNKNOWN_SHEET.severity is Severity.WARNING
