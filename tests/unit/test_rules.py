"""Every rule that needs no account store, asserted where a person would look: code and cell.

Each workbook is a real .xlsx written by tests/factory.py, holding exactly
one fault unless the test says otherwise, so each case also proves that the
rest of the workbook raised nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from provisioner.domain.findings import Finding, error, warning
from provisioner.workbook import layout
from provisioner.workbook.checker import CheckResult, check_file, check_workbook, merge
from provisioner.workbook.reader import read_workbook
from tests.factory import QA, adherent, delegue, make_workbook, user

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
TD = "Télédéclaration interne"
CA = "Compte Adhérent"
EP = "E@syPaiement"

Where = tuple[str, str | None, int | None, str | None, str | None]  # code, sheet, row, column, cell


def mise_a_jour(**overrides: Any) -> dict[str, Any]:
    return adherent(type_demande="Mise à jour", **overrides)


def current_password(**overrides: Any) -> dict[str, Any]:
    """The Délégué of a Mise à jour: the current administrator password, no confirmation."""
    return delegue(password_confirm=None, **overrides)


@dataclass
class Case:
    id: str
    expected: Where
    workbook: dict[str, Any] = field(default_factory=dict)  # make_workbook keyword arguments
    write: Callable[[Path], Path] | None = None  # for files that are not workbooks
    max_bytes: int | None = None


def update_with(users: dict[str, list[dict[str, Any]]], **kwargs: Any) -> dict[str, Any]:
    """A Mise à jour carrying only `users` (no category rows unless given)."""
    return {"adherent_values": mise_a_jour(), "delegue_values": current_password(),
            "users": users, "categories": kwargs.pop("categories", []), **kwargs}


def one_user(**overrides: Any) -> dict[str, Any]:
    """The default Abonnement with its Télédéclaration user changed."""
    return {"users": {"td_interne": [user("hind.td", **overrides)]}}


def write_bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def write(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return write


CASES = [
    # --- REQUIRED ----------------------------------------------------------------
    Case("REQUIRED-nom-of-a-record-row", ("REQUIRED", TD, 2, "Nom", "C2"), one_user(nom=None)),
    Case("REQUIRED-mode-of-a-record-row", ("REQUIRED", TD, 2, "Mode de télédéclaration", "F2"),
         one_user(mode=None)),
    Case("REQUIRED-login-of-a-modifier-row", ("REQUIRED", CA, 2, "Login", "J2"),
         update_with({"compte_adherent": [{"action": "Modifier", "fonction": "DRH"}]})),
    Case("REQUIRED-ville-of-an-abonnement", ("REQUIRED", "Adhérent", 6, "Ville", "B6"),
         {"adherent_values": adherent(ville=None)}),
    Case("REQUIRED-type-de-demande", ("REQUIRED", "Adhérent", 2, "Type de demande", "B2"),
         {"adherent_values": adherent(type_demande=None)}),
    Case("REQUIRED-current-password-of-a-mise-a-jour", ("REQUIRED", "Délégué", 9, "Mot de passe", "B9"),
         update_with({}, delegue_values=current_password(password=None))),
    Case("REQUIRED-login-of-a-category-row", ("REQUIRED", "Catégories", 3, "Login", "A3"),
         {"categories": [{"login": "hind.td", "D": "X"}, {"S1": "X"}]}),
    # --- INVALID_VALUE -------------------------------------------------------------
    Case("INVALID_VALUE-action", ("INVALID_VALUE", TD, 2, "Action", "A2"), one_user(action="Supprimer")),
    Case("INVALID_VALUE-civilite", ("INVALID_VALUE", "Adhérent", 12, "Civilité", "B12"),
         {"adherent_values": adherent(civilite="Monsieur")}),
    Case("INVALID_VALUE-mode", ("INVALID_VALUE", TD, 2, "Mode de télédéclaration", "F2"),
         one_user(mode="Papier")),
    Case("INVALID_VALUE-oui-non", ("INVALID_VALUE", EP, 2, "Validateur", "G2"),
         {"users": {"td_interne": [user("hind.td")],
                    "easypaiement": [user("ali.pay", "easypaiement", validateur="Peut-être")]}}),
    Case("INVALID_VALUE-category-mark", ("INVALID_VALUE", "Catégories", 2, "D", "B2"),
         {"categories": [{"login": "hind.td", "D": "V", "S0": "X"}]}),
    Case("INVALID_VALUE-type-de-demande", ("INVALID_VALUE", "Adhérent", 2, "Type de demande", "B2"),
         {"adherent_values": adherent(type_demande="Résiliation")}),
    Case("INVALID_VALUE-confirmations", ("INVALID_VALUE", "Adhérent", 11,
                                         "Nombre de confirmations E@syPaiement", "B11"),
         {"adherent_values": adherent(confirmations="3")}),
    Case("INVALID_VALUE-modifier-in-an-abonnement", ("INVALID_VALUE", TD, 2, "Action", "A2"),
         one_user(action="Modifier")),
    Case("INVALID_VALUE-new-password-in-an-abonnement",
         ("INVALID_VALUE", "Délégué", 11, "Nouveau mot de passe", "B11"),
         {"delegue_values": delegue(new_password="Neuf2026")}),
    # --- INVALID_FORMAT ------------------------------------------------------------
    Case("INVALID_FORMAT-email", ("INVALID_FORMAT", TD, 2, "Email", "J2"), one_user(email="hind@")),
    Case("INVALID_FORMAT-two-emails-in-one-cell", ("INVALID_FORMAT", "Adhérent", 20, "Email", "B20"),
         {"adherent_values": adherent(email="a@albaraka.ma, b@albaraka.ma")}),
    Case("INVALID_FORMAT-phone", ("INVALID_FORMAT", TD, 2, "Téléphone", "G2"), one_user(telephone="12")),
    Case("INVALID_FORMAT-phone-with-letters", ("INVALID_FORMAT", "Délégué", 6, "GSM", "B6"),
         {"delegue_values": delegue(gsm="06-FLOWERS")}),
    Case("INVALID_FORMAT-login", ("INVALID_FORMAT", CA, 2, "Login", "J2"),
         {"users": {"td_interne": [user("hind.td")],
                    "compte_adherent": [user("hind ca", "compte_adherent", email="hind@exemple.ma")]}}),
    Case("INVALID_FORMAT-member-number", ("INVALID_FORMAT", "Adhérent", 3, "Numéro d'adhérent", "B3"),
         {"adherent_values": adherent(numero="12")}),
    Case("INVALID_FORMAT-rc", ("INVALID_FORMAT", "Adhérent", 7, "Numéro RC", "B7"),
         {"adherent_values": adherent(rc="45A789")}),
    Case("INVALID_FORMAT-patente", ("INVALID_FORMAT", "Adhérent", 9, "Numéro de patente", "B9"),
         {"adherent_values": adherent(patente="345-678")}),
    # --- PASSWORD_POLICY -------------------------------------------------------------
    Case("PASSWORD_POLICY-too-short", ("PASSWORD_POLICY", TD, 2, "Mot de passe", "L2"),
         one_user(password="abc", password_confirm="abc")),
    Case("PASSWORD_POLICY-full-width-letters-that-isalnum-accepts",
         ("PASSWORD_POLICY", TD, 2, "Mot de passe", "L2"),
         one_user(password="ａｂｃ１２", password_confirm="ａｂｃ１２")),
    Case("PASSWORD_POLICY-typed-as-a-number", ("PASSWORD_POLICY", TD, 2, "Mot de passe", "L2"),
         one_user(password=1234567, password_confirm="1234567")),
    Case("PASSWORD_POLICY-new-administrator-password-of-an-abonnement",
         ("PASSWORD_POLICY", "Délégué", 9, "Mot de passe", "B9"),
         {"delegue_values": delegue(password="Deleg 2026!", password_confirm="Deleg 2026!")}),
    Case("PASSWORD_POLICY-nouveau-mot-de-passe", ("PASSWORD_POLICY", "Délégué", 11,
                                                  "Nouveau mot de passe", "B11"),
         update_with({}, delegue_values=current_password(new_password="abc", new_password_confirm="abc"))),
    # --- PASSWORD_MISMATCH -------------------------------------------------------------
    Case("PASSWORD_MISMATCH-confirmation-differs",
         ("PASSWORD_MISMATCH", TD, 2, "Confirmation mot de passe", "M2"),
         one_user(password="Pass2026", password_confirm="Pass2025")),
    Case("PASSWORD_MISMATCH-confirmation-missing",
         ("PASSWORD_MISMATCH", TD, 2, "Confirmation mot de passe", "M2"), one_user(password_confirm=None)),
    Case("PASSWORD_MISMATCH-password-missing", ("PASSWORD_MISMATCH", TD, 2, "Mot de passe", "L2"),
         one_user(password=None)),
    Case("PASSWORD_MISMATCH-administrator-confirmation",
         ("PASSWORD_MISMATCH", "Délégué", 10, "Confirmation du mot de passe", "B10"),
         {"delegue_values": delegue(password_confirm="Deleg2025")}),
    Case("PASSWORD_MISMATCH-new-password-without-confirmation",
         ("PASSWORD_MISMATCH", "Délégué", 12, "Confirmation du nouveau mot de passe", "B12"),
         update_with({}, delegue_values=current_password(new_password="Neuf2026"))),
    # --- SECRET_QUESTIONS ----------------------------------------------------------------
    Case("SECRET_QUESTIONS-none-on-an-abonnement", ("SECRET_QUESTIONS", TD, 2, "Question 1", "N2"),
         one_user(**dict.fromkeys(QA))),
    Case("SECRET_QUESTIONS-none-on-creer", ("SECRET_QUESTIONS", CA, 2, "Question 1", "M2"),
         update_with({"compte_adherent": [user("hind.ca", "compte_adherent", action="Créer",
                                               **dict.fromkeys(QA))]})),
    Case("SECRET_QUESTIONS-question-without-answer", ("SECRET_QUESTIONS", TD, 2, "Réponse 2", "Q2"),
         one_user(answer2=None)),
    Case("SECRET_QUESTIONS-answer-without-question", ("SECRET_QUESTIONS", TD, 2, "Question 3", "R2"),
         one_user(question3=None)),
    Case("SECRET_QUESTIONS-fewer-than-three", ("SECRET_QUESTIONS", TD, 2, "Question 3", "R2"),
         one_user(question3=None, answer3=None)),
    Case("SECRET_QUESTIONS-same-question-twice", ("SECRET_QUESTIONS", TD, 2, "Question 3", "R2"),
         one_user(question3="  QUEL est le prénom de votre grand-mere maternelle ? ")),
    # --- LOGIN_DUPLICATE --------------------------------------------------------------------
    Case("LOGIN_DUPLICATE-across-sheets-ignoring-case", ("LOGIN_DUPLICATE", CA, 2, "Login", "J2"),
         {"users": {"td_interne": [user("hind.td")],
                    "compte_adherent": [user("HIND.TD", "compte_adherent")]}}),
    Case("LOGIN_DUPLICATE-on-one-sheet", ("LOGIN_DUPLICATE", CA, 3, "Login", "J3"),
         update_with({"compte_adherent": [{"action": "Désactiver", "login": "hind.ca"},
                                          {"action": "Réactiver", "login": "Hind.Ca"}]})),
    Case("LOGIN_DUPLICATE-in-categories", ("LOGIN_DUPLICATE", "Catégories", 3, "Login", "A3"),
         {"categories": [{"login": "hind.td", "D": "X"}, {"login": "hind.td", "S1": "X"}]}),
    # --- CATEGORY_MISSING ---------------------------------------------------------------------
    Case("CATEGORY_MISSING-created-user-without-a-row", ("CATEGORY_MISSING", TD, 2, "Login", "K2"),
         {"categories": []}),
    Case("CATEGORY_MISSING-row-without-a-mark", ("CATEGORY_MISSING", "Catégories", 2, "D", "B2"),
         update_with({"td_interne": [{"action": "Modifier", "login": "hind.td"}]},
                     categories=[{"login": "hind.td", "D": None}])),
    # --- CATEGORY_UNKNOWN_LOGIN ------------------------------------------------------------------
    Case("CATEGORY_UNKNOWN_LOGIN-not-in-an-abonnement",
         ("CATEGORY_UNKNOWN_LOGIN", "Catégories", 3, "Login", "A3"),
         {"categories": [{"login": "hind.td", "D": "X"}, {"login": "inconnu.td", "D": "X"}]}),
    Case("CATEGORY_UNKNOWN_LOGIN-user-of-another-teleservice",
         ("CATEGORY_UNKNOWN_LOGIN", "Catégories", 2, "Login", "A2"),
         update_with({"compte_adherent": [{"action": "Désactiver", "login": "hind.ca"}]},
                     categories=[{"login": "hind.ca", "D": "X"}])),
    # --- EASYPAIEMENT_ROLE ------------------------------------------------------------------------
    Case("EASYPAIEMENT_ROLE-both-non", ("EASYPAIEMENT_ROLE", EP, 2, "Ordonnateur", "F2"),
         {"users": {"td_interne": [user("hind.td")],
                    "easypaiement": [user("ali.pay", "easypaiement", ordonnateur="Non", validateur="Non")]}}),
    Case("EASYPAIEMENT_ROLE-both-blank", ("EASYPAIEMENT_ROLE", EP, 2, "Ordonnateur", "F2"),
         {"users": {"td_interne": [user("hind.td")],
                    "easypaiement": [user("ali.pay", "easypaiement", ordonnateur=None, validateur=None)]}}),
    Case("EASYPAIEMENT_ROLE-modifier-to-non-non", ("EASYPAIEMENT_ROLE", EP, 2, "Ordonnateur", "F2"),
         update_with({"easypaiement": [{"action": "Modifier", "login": "ali.pay",
                                        "ordonnateur": "Non", "validateur": "Non"}]})),
    # --- TEMPLATE_MISMATCH ----------------------------------------------------------------------
    Case("TEMPLATE_MISMATCH-missing-sheet", ("TEMPLATE_MISMATCH", "Sanctions", None, None, None),
         {"omit_sheets": ("Sanctions",)}),
    Case("TEMPLATE_MISMATCH-missing-label", ("TEMPLATE_MISMATCH", "Adhérent", None, "Ville", None),
         {"form_labels": {"Adhérent": {"ville": None}}}),
    Case("TEMPLATE_MISMATCH-missing-column", ("TEMPLATE_MISMATCH", TD, 1, "Fax", None),
         {"headers": {TD: [c.label for c in layout.TELESERVICES[0].columns if c.key != "fax"]}}),
    Case("TEMPLATE_MISMATCH-wrong-version", ("TEMPLATE_MISMATCH", "Adhérent", 1, "Version du modèle", "B1"),
         {"adherent_values": adherent(version="2025.2")}),
    # --- Files ---------------------------------------------------------------------------------
    Case("FILE_TYPE-csv", ("FILE_TYPE", None, None, None, None),
         write=write_bytes("bordereau.csv", b"Login;Nom\nhind.td;Berrada\n")),
    Case("FILE_TYPE-xls", ("FILE_TYPE", None, None, None, None),
         write=write_bytes("bordereau.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)),
    Case("FILE_UNREADABLE-not-a-spreadsheet", ("FILE_UNREADABLE", None, None, None, None),
         write=write_bytes("bordereau.xlsx", b"Ceci n'est pas un classeur.")),
    Case("FILE_UNREADABLE-truncated", ("FILE_UNREADABLE", None, None, None, None),
         write=write_bytes("bordereau.xlsx", b"PK\x03\x04" + b"\x14\x00" * 40)),
    Case("FILE_TOO_LARGE-over-the-size-limit", ("FILE_TOO_LARGE", None, None, None, None),
         max_bytes=1024),
]


def where(finding: Finding) -> Where:
    return finding.code, finding.sheet, finding.row, finding.column, finding.cell


def run(tmp_path: Path, case: Case) -> CheckResult:
    path = case.write(tmp_path) if case.write else make_workbook(tmp_path / "bordereau.xlsx", **case.workbook)
    if case.max_bytes is not None:
        return check_file(path, max_bytes=case.max_bytes)
    return check_file(path)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_fault_is_the_only_error_and_names_its_cell(tmp_path: Path, case: Case) -> None:
    result = run(tmp_path, case)

    assert [where(f) for f in result.errors] == [case.expected]
    assert not result.accepted


def test_every_code_of_the_store_free_rules_is_covered() -> None:
    covered = {c.expected[0] for c in CASES}

    assert covered == {
        "REQUIRED", "INVALID_VALUE", "INVALID_FORMAT", "PASSWORD_POLICY", "PASSWORD_MISMATCH",
        "SECRET_QUESTIONS", "LOGIN_DUPLICATE", "CATEGORY_MISSING", "CATEGORY_UNKNOWN_LOGIN",
        "EASYPAIEMENT_ROLE", "TEMPLATE_MISMATCH", "FILE_TYPE", "FILE_UNREADABLE", "FILE_TOO_LARGE",
    }


# --- What the store phase judges, not this one ------------------------------------


STORE_PHASE = [
    pytest.param(update_with({"td_interne": [user("new.td", **dict.fromkeys(QA))]}),
                 id="a blank-action row of a Mise à jour without questions may be an update"),
    pytest.param(update_with({"td_interne": [user("new.td")]}),
                 id="a blank-action row of a Mise à jour without a category row may be an update"),
    pytest.param(update_with({}, categories=[{"login": "ailleurs.td", "D": "X"}]),
                 id="a category login absent from a Mise à jour may be in the store"),
    pytest.param(update_with({"easypaiement": [{"action": "Modifier", "login": "ali.pay",
                                                "ordonnateur": "Non"}]}),
                 id="a Modifier row that keeps one power blank keeps the stored power"),
    pytest.param(update_with({}, delegue_values=current_password(password="x!")),
                 id="the current administrator password is never held to the policy"),
    pytest.param(update_with({"sanctions": [{"action": "Réinitialiser mot de passe", "login": "s.ali"}]}),
                 id="a reset without a password asks for a generated one"),
]


@pytest.mark.parametrize("workbook", STORE_PHASE)
def test_what_only_the_store_can_tell_is_not_judged_here(tmp_path: Path, workbook: dict[str, Any]) -> None:
    result = check_file(make_workbook(tmp_path / "bordereau.xlsx", **workbook))

    assert result.errors == []


# --- The lenient reader -------------------------------------------------------------


def test_the_default_factory_workbook_is_accepted(tmp_path: Path) -> None:
    result = check_file(make_workbook(tmp_path / "bordereau.xlsx"))

    assert result.errors == [] and result.warnings == []
    assert result.accepted
    assert set(result.timings) == {"read", "schemas", "rules"}


def test_labels_match_ignoring_case_accents_star_and_spaces(tmp_path: Path) -> None:
    labels = {"Adhérent": {"type_demande": "  TYPE DE DEMANDE * ", "numero": "numero d'adherent*",
                           "ville": "ville", "localite_rc": "LOCALITE rc"},
              "Délégué": {"password": "mot de  passe *", "password_confirm": "Confirmation du Mot de Passe"}}

    result = check_file(make_workbook(tmp_path / "bordereau.xlsx", form_labels=labels))

    assert result.errors == []
    assert result.workbook is not None and result.workbook.numero == "123456"


def test_headers_match_leniently_in_any_order(tmp_path: Path) -> None:
    columns = layout.TELESERVICES[0].columns
    header = [f"  {c.label.upper()} *" if i % 2 else c.label.lower() for i, c in enumerate(reversed(columns))]

    result = check_file(make_workbook(tmp_path / "bordereau.xlsx", headers={TD: header}))

    assert result.errors == []
    assert result.workbook is not None
    assert result.workbook.users["td_interne"].cell(2, "action") == f"{_letter(len(columns) - 1)}2"


def _letter(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]


def test_blank_rows_are_skipped_and_findings_keep_the_excel_row(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx", blank_rows_before={TD: 2},
                         users={"td_interne": [user("hind.td", nom=None)]})

    result = check_file(path)

    assert [where(f) for f in result.errors] == [("REQUIRED", TD, 4, "Nom", "C4")]


def test_numbers_typed_in_text_columns_read_back_as_typed(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx",
                         adherent_values=adherent(numero=123456, rc=456789, patente=34567890,
                                                  confirmations=2),
                         users={"td_interne": [user("hind.td", gsm=661234567, telephone=522123456)]})

    result = check_file(path)

    assert result.errors == []
    assert result.workbook is not None
    frame = result.workbook.users["td_interne"].frame
    # The numbers Excel stripped of their 0, read back as the numbers they were, in their one form.
    assert (frame.at[2, "gsm"], frame.at[2, "telephone"]) == ("+212661234567", "+212522123456")
    assert result.workbook.numero == "123456"
    assert result.workbook.adherent.value("confirmations") == "2"


def test_closed_lists_take_any_case_accents_and_spaces(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "bordereau.xlsx",
        adherent_values=adherent(type_demande=" ABONNEMENT ", civilite="m"),
        users={"td_interne": [user("hind.td", action="creer", civilite="MME", mode="formulaire de SAISIE")],
               "easypaiement": [user("ali.pay", "easypaiement", ordonnateur="oui", validateur="NON")]},
        categories=[{"login": "hind.td", "D": "x", "S1": "OUI"}])

    result = check_file(path)

    assert result.errors == []
    parsed = result.workbook
    assert parsed is not None
    row = parsed.users["td_interne"].frame.loc[2]
    assert (row["action"], row["civilite"], row["mode"]) == ("Créer", "Mme", "Formulaire de saisie")
    assert parsed.users["easypaiement"].frame.at[2, "ordonnateur"] == "Oui"
    assert (parsed.categories.frame.at[2, "D"], parsed.categories.frame.at[2, "S1"]) == ("X", "Oui")
    assert (parsed.adherent.value("type_demande"), parsed.adherent.value("civilite")) == ("Abonnement", "M.")


def test_values_are_trimmed_and_logins_kept_as_typed(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx",
                         users={"td_interne": [user("  Hind.TD  ", email="  hind@exemple.ma ")]},
                         categories=[{"login": "hind.td", "D": "X"}])

    result = check_file(path)

    assert result.errors == []
    assert result.workbook is not None
    assert result.workbook.users["td_interne"].frame.at[2, "login"] == "Hind.TD"


# --- Every error, not just the first ---------------------------------------------------


def test_a_workbook_with_five_faults_gets_five_findings(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "bordereau.xlsx",
        adherent_values=adherent(numero="12A"),
        delegue_values=delegue(password_confirm="Autre2026"),
        users={"td_interne": [user("hind.td", email="pas-une-adresse", password="abc",
                                   password_confirm="abc")],
               "compte_adherent": [user("hind.td", "compte_adherent")]})

    result = check_file(path)

    assert [where(f) for f in result.errors] == [
        ("INVALID_FORMAT", "Adhérent", 3, "Numéro d'adhérent", "B3"),
        ("PASSWORD_MISMATCH", "Délégué", 10, "Confirmation du mot de passe", "B10"),
        ("INVALID_FORMAT", TD, 2, "Email", "J2"),
        ("PASSWORD_POLICY", TD, 2, "Mot de passe", "L2"),
        ("LOGIN_DUPLICATE", CA, 2, "Login", "J2"),
    ]


def test_one_cell_gets_one_finding_the_most_basic(tmp_path: Path) -> None:
    # Blank Action on E@syPaiement with an invalid Ordonnateur: INVALID_VALUE, not also EASYPAIEMENT_ROLE.
    path = make_workbook(tmp_path / "bordereau.xlsx", users={
        "td_interne": [user("hind.td")],
        "easypaiement": [user("ali.pay", "easypaiement", ordonnateur="Peut-être", validateur="Non")]})

    result = check_file(path)

    assert [where(f) for f in result.errors] == [("INVALID_VALUE", EP, 2, "Ordonnateur", "F2")]


def test_merge_keeps_the_first_finding_per_cell_and_every_finding_without_a_cell() -> None:
    at_k2 = {"sheet": TD, "row": 2, "column": "Login", "cell": "K2"}
    first, second = error("REQUIRED", "a", **at_k2), error("INVALID_FORMAT", "b", **at_k2)
    note = warning("FORMULA", "c", **at_k2)
    whole = error("TEMPLATE_MISMATCH", "d", sheet="Sanctions")
    other = error("TEMPLATE_MISMATCH", "e", sheet="Catégories")

    assert merge([first, second, note, whole, whole, other]) == [first, note, whole, other]


# --- Never a traceback, never a secret ------------------------------------------------------


def test_a_bug_in_the_rules_becomes_file_unreadable_and_logs_no_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    canary = f"cnry{secrets.token_hex(6)}"

    def broken(parsed: object) -> list[Finding]:
        raise ValueError(canary)

    monkeypatch.setattr("provisioner.workbook.rules.check_rules", broken)
    with caplog.at_level(logging.ERROR):
        result = check_file(make_workbook(tmp_path / "bordereau.xlsx"))

    assert [f.code for f in result.errors] == ["FILE_UNREADABLE"]
    assert "ValueError" in caplog.text and canary not in caplog.text


def test_check_workbook_normalises_and_checks_a_parsed_workbook(tmp_path: Path) -> None:
    parsed = read_workbook(make_workbook(tmp_path / "bordereau.xlsx", users={
        "td_interne": [user("hind.td", action="CRÉER", nom=None)]})).workbook
    assert parsed is not None

    findings = check_workbook(parsed)

    assert [where(f) for f in findings] == [("REQUIRED", TD, 2, "Nom", "C2")]
    assert parsed.users["td_interne"].frame.at[2, "action"] == "Créer"


def test_no_message_quotes_a_password_or_an_answer(tmp_path: Path) -> None:
    def canary(prefix: str = "") -> str:
        return f"{prefix}cnry{secrets.token_hex(3)}"  # 4 + 6 = 10 characters: policy-compliant

    user_secrets = {"password": canary("!"), "password_confirm": canary(), "answer1": canary(),
                    "answer2": canary(), "answer3": canary()}
    admin = {"password": canary("#"), "password_confirm": canary(), "new_password": canary(),
             "new_password_confirm": canary()}
    path = make_workbook(tmp_path / "bordereau.xlsx", delegue_values=delegue(**admin), users={
        "td_interne": [user("hind.td", **user_secrets)],
        "sanctions": [user("hind.sa", "sanctions", question1=None, question2=None, **{
            **user_secrets, "password_confirm": None})]})

    result = check_file(path)

    assert {f.code for f in result.errors} >= {"PASSWORD_POLICY", "PASSWORD_MISMATCH", "SECRET_QUESTIONS",
                                                "INVALID_VALUE"}
    text = "\n".join(str(f.to_dict()) for f in result.findings)
    for value in [*user_secrets.values(), *admin.values()]:
        assert value not in text


# --- The samples ------------------------------------------------------------------------------


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"the shared samples are not beside the repository ({SAMPLES.resolve()})")
    return path


@pytest.mark.parametrize("name", ["abonnement-valide.xlsx", "mise-a-jour-valide.xlsx"])
def test_the_valid_samples_have_no_error(name: str) -> None:
    result = check_file(sample(name))

    assert result.errors == []


def test_the_sample_with_errors_gets_exactly_the_four_documented_findings() -> None:
    result = check_file(sample("mise-a-jour-avec-erreurs.xlsx"))

    assert [where(f) for f in result.errors] == [
        ("EASYPAIEMENT_ROLE", EP, 2, "Ordonnateur", "F2"),
        ("PASSWORD_POLICY", "e-Liquidation@", 2, "Mot de passe", "K2"),
        ("PASSWORD_MISMATCH", "e-Liquidation@", 3, "Confirmation mot de passe", "L3"),
        ("LOGIN_DUPLICATE", "e-Liquidation@", 4, "Login", "J4"),
    ]
    assert result.warnings == []
    assert "mou1" not in " ".join(f.message for f in result.findings)


def test_a_line_break_inside_a_cell_is_read_as_a_space(tmp_path: Path) -> None:
    # Before: « Alaoui\nBen Ali » was stored with its line break, and shown so in reports and lists.
    path = make_workbook(tmp_path / "bordereau.xlsx", adherent_values=adherent(adresse="12, rue Ibn Batouta\r\nRabat"),
                         users={"td_interne": [user("hind.td", nom="Alaoui\nBen Ali", fonction="RH\t ")]})

    result = check_file(path)

    assert result.errors == [] and result.workbook is not None
    frame = result.workbook.users["td_interne"].frame
    assert (frame.at[2, "nom"], frame.at[2, "fonction"]) == ("Alaoui Ben Ali", "RH")
    assert result.workbook.adherent.value("adresse") == "12, rue Ibn Batouta Rabat"
