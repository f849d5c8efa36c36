"""Pre-filled workbooks: `provisioner template --adherent NUMERO`.

A company with accounts on every téléservice (one disabled) is built through
the real pipeline and the Agence Virtuelle's activation, on SQLite and
PostgreSQL. Its pre-filled workbook must show what it has, hold no secret,
and, sent back unchanged with the administrator password typed in, change
nothing at all.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, update

from provisioner.cli import template as _registers_the_command  # noqa: F401
from provisioner.cli.app import cli
from provisioner.config import Settings
from provisioner.domain import vocabulary
from provisioner.domain.keys import label_key
from provisioner.security.hashing import Hasher
from provisioner.service.agence import subscriptions
from provisioner.service.agence.prefill import UnknownAdherent, write_prefilled
from provisioner.service.context import ServiceContext
from provisioner.service.submission.pipeline import process_file
from provisioner.store.db import make_engine, upgrade
from provisioner.store.tables import account_categories, accounts, adherents, requests
from provisioner.workbook import layout
from provisioner.workbook.prefill import prefill_note
from tests.factory import adherent, delegue, make_workbook, user

NUMERO = "123456"
# Unique strings in every secret field: none may reach the pre-filled file.
ADMIN = "Adm1nPrfl7"
USER_PASSWORD = "Usr1Prfl9"
ANSWERS = {"answer1": "RepPrflUn", "answer2": "RepPrflDeux", "answer3": "RepPrflTrois"}
NOTIFY = "cabinet@fiduciaire-exemple.ma"
PASSWORD_LABEL = next(f.label for f in layout.DELEGUE_FIELDS if f.key == "password")


def secret_user(login: str, teleservice: str, **overrides: Any) -> dict[str, Any]:
    return user(login, teleservice, password=USER_PASSWORD, password_confirm=USER_PASSWORD,
                **ANSWERS, **overrides)


def every_teleservice() -> dict[str, list[dict[str, Any]]]:
    return {
        "td_interne": [secret_user("hind.td", "td_interne"),
                       secret_user("omar.td", "td_interne", nom="Tazi", prenom="Omar",
                                   fonction="+ Responsable paie", mode="Fichier préétabli")],
        "td_externe": [secret_user("lahlou.ext", "td_externe", nom="Lahlou", prenom="Driss")],
        "compte_adherent": [secret_user("hind.ca", "compte_adherent")],
        "easypaiement": [secret_user("karim.ep", "easypaiement", email="karim@albaraka.ma",
                                     ordonnateur="Oui", validateur="Non"),
                         secret_user("val1.ep", "easypaiement", email="val1@albaraka.ma",
                                     ordonnateur="Non", validateur="Oui"),
                         secret_user("val2.ep", "easypaiement", email="val2@albaraka.ma",
                                     ordonnateur="Oui", validateur="Oui")],
        "eliquidation": [secret_user("hind.el", "eliquidation", fax="0522333444")],
        "sanctions": [secret_user("hind.sa", "sanctions")],
    }


CATEGORIES = [{"login": "hind.td", "D": "X", "S0": "X"}, {"login": "omar.td", "S1": "X"},
              {"login": "lahlou.ext", "D": "X", "S2": "X", "S3": "X"}]


@pytest.fixture
def company(ctx: ServiceContext, tmp_path: Path) -> ServiceContext:
    """Company 123456, active, with 9 accounts on the six téléservices; lahlou.ext disabled."""
    book = make_workbook(tmp_path / "abonnement.xlsx",
                         adherent_values=adherent(confirmations="2", site_web="www.albaraka.ma",
                                                  email_notification=NOTIFY, gsm="0661000111"),
                         delegue_values=delegue(password=ADMIN, password_confirm=ADMIN, gsm="0662000222"),
                         users=every_teleservice(), categories=CATEGORIES)
    outcome = process_file(ctx, book)
    assert outcome.status == "accepted", outcome.report["errors"]
    subscriptions.activate(ctx, NUMERO)
    disable = make_workbook(tmp_path / "depart.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
                            delegue_values={"password": ADMIN}, categories=[],
                            users={"td_externe": [{"action": "Désactiver", "login": "lahlou.ext"}]})
    outcome = process_file(ctx, disable)
    assert outcome.report["changes"] == [{"action": "disable", "teleservice": "td_externe", "login": "lahlou.ext",
                                          "fields": [{"column": "Statut", "old": "Actif", "new": "Désactivé"}]}]
    return ctx


def prefilled(ctx: ServiceContext, tmp_path: Path, name: str = "prerempli.xlsx") -> Path:
    return write_prefilled(ctx, NUMERO, tmp_path / name).path


def store_state(engine: Engine) -> dict[str, Any]:
    """Every row that a workbook could change: accounts (hashes included), categories, the company."""
    with engine.connect() as conn:
        return {
            "accounts": sorted(tuple(r) for r in conn.execute(select(accounts))),
            "categories": sorted(tuple(r) for r in conn.execute(select(account_categories))),
            "adherents": [tuple(r) for r in conn.execute(select(adherents))],
            "requests": [tuple(r) for r in conn.execute(select(requests))],
        }


def with_admin_password(path: Path, target: Path) -> Path:
    """The workbook as the delegate sends it back: only the current administrator password typed in."""
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.DELEGUE_SHEET]
    row = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1)
               if label_key(str(c.value or "")) == label_key(PASSWORD_LABEL))
    ws.cell(row=row, column=2, value=ADMIN)
    wb.save(target)
    return target


def form_values(ws: Any) -> dict[str, str | None]:
    return {label_key(str(a.value)): b.value for a, b in ws.iter_rows(min_col=1, max_col=2) if a.value}


def table_rows(ws: Any) -> list[dict[str, Any]]:
    header = [label_key(str(c.value)) for c in ws[1]]
    return [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2) if any(c.value for c in row)]


# -- the round trip ------------------------------------------------------------------------


def test_the_prefilled_workbook_sent_back_unchanged_changes_nothing(company: ServiceContext, tmp_path: Path) -> None:
    before = store_state(company.engine)
    book = with_admin_password(prefilled(company, tmp_path), tmp_path / "renvoye.xlsx")

    outcome = process_file(company, book)

    report = outcome.report
    assert outcome.status == "accepted", report["errors"]
    assert report["request_type"] == "mise_a_jour"
    assert report["changes"] == [] and report["company_changes"] == [] and report["requests"] == []
    assert report["counts"] == {"created": 0, "updated": 0, "disabled": 0, "enabled": 0,
                                "reset_password": 0, "unchanged": 9}
    assert report["warnings"] == []
    assert store_state(company.engine) == before


def test_a_change_made_in_the_prefilled_workbook_is_the_only_change(company: ServiceContext, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(with_admin_password(prefilled(company, tmp_path), tmp_path / "a.xlsx"))
    ws = wb[layout.TELESERVICE_BY_KEY["sanctions"].sheet]
    header = [label_key(str(c.value)) for c in ws[1]]
    ws.cell(row=2, column=header.index(label_key("Fonction")) + 1, value="Directrice RH")
    wb.save(tmp_path / "modifie.xlsx")

    outcome = process_file(company, tmp_path / "modifie.xlsx")

    assert outcome.status == "accepted", outcome.report["errors"]
    assert without_fields(outcome.report["changes"]) == [
        {"action": "update", "teleservice": "sanctions", "login": "hind.sa"}]
    assert outcome.report["counts"]["unchanged"] == 8


# -- what it shows -------------------------------------------------------------------------


def test_the_forms_hold_the_company_and_delegate_on_record_as_a_mise_a_jour(
        company: ServiceContext, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(prefilled(company, tmp_path))
    form = form_values(wb[layout.ADHERENT_SHEET])
    assert form[label_key("Type de demande")] == "Mise à jour"
    assert form[label_key("Numéro d'adhérent")] == NUMERO
    assert form[label_key("Raison sociale")] == "Boulangerie Al Baraka SARL"
    assert form[label_key("Nombre de confirmations E@syPaiement")] == "2"
    assert form[label_key("Site web")] == "www.albaraka.ma"
    assert form[label_key("GSM")] == "+212661000111"  # stored in one form, E.164
    assert form[label_key("Email de notification")] == NOTIFY
    assert form[label_key("Version du modèle")] == layout.TEMPLATE_VERSION
    delegate = form_values(wb[layout.DELEGUE_SHEET])
    assert delegate[label_key("Email")] == "hind.berrada@albaraka.ma"
    assert delegate[label_key("GSM")] == "+212662000222"
    for field in layout.DELEGUE_FIELDS:
        if field.secret:
            assert delegate[label_key(field.label)] is None, field.label


def test_each_account_is_on_its_sheet_with_blank_action_and_no_secret_or_question(
        company: ServiceContext, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(prefilled(company, tmp_path))
    logins = {}
    for service in layout.TELESERVICES:
        rows = table_rows(wb[service.sheet])
        logins[service.key] = [r[label_key("Login")] for r in rows]
        for row in rows:
            assert row[label_key("Action")] is None
            for column in service.columns:
                if column.secret or column.kind is layout.Kind.QUESTION:
                    assert row[label_key(column.label)] is None, column.label
    assert logins == {"td_interne": ["hind.td", "omar.td"], "td_externe": ["lahlou.ext"],
                      "compte_adherent": ["hind.ca"], "easypaiement": ["karim.ep", "val1.ep", "val2.ep"],
                      "eliquidation": ["hind.el"], "sanctions": ["hind.sa"]}
    powers = {r[label_key("Login")]: (r[label_key("Ordonnateur")], r[label_key("Validateur")])
              for r in table_rows(wb["E@syPaiement"])}
    assert powers == {"karim.ep": ("Oui", "Non"), "val1.ep": ("Non", "Oui"), "val2.ep": ("Oui", "Oui")}
    externe = table_rows(wb["Télédéclaration externe"])[0]
    assert externe[label_key("Raison sociale du prestataire")] == "Cabinet Lahlou"
    assert externe[label_key("Mode de télédéclaration")] == "Fichier préétabli"
    assert table_rows(wb["e-Liquidation@"])[0][label_key("Fax")] == "+212522333444"


def test_the_category_matrix_has_one_row_per_telediclaration_login(company: ServiceContext, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(prefilled(company, tmp_path))
    marks = {r[label_key("Login")]: sorted(c for c in vocabulary.CATEGORIES if r[label_key(c)] == "X")
             for r in table_rows(wb[layout.CATEGORIES_SHEET])}
    assert marks == {"hind.td": ["D", "S0"], "omar.td": ["S1"], "lahlou.ext": ["D", "S2", "S3"]}


def test_a_disabled_account_is_listed_and_marked(company: ServiceContext, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(prefilled(company, tmp_path))["Télédéclaration externe"]
    header = [label_key(str(c.value)) for c in ws[1]]
    login = ws.cell(row=2, column=header.index(label_key("Login")) + 1)
    assert login.value == "lahlou.ext"
    assert login.comment is not None and "désactivé" in login.comment.text
    assert "Réactiver" in login.comment.text


def test_a_note_says_to_leave_passwords_blank_on_rows_not_changed(company: ServiceContext, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(prefilled(company, tmp_path))
    notes = [c.value for (c,) in wb[layout.ADHERENT_SHEET].iter_rows(min_col=1, max_col=1)
             if c.value and "pré-rempli" in str(c.value)]
    assert len(notes) == 1
    assert "Laissez vides les mots de passe" in notes[0] and "lignes que vous ne changez pas" in notes[0]
    assert "pré-rempli" in str(wb[layout.README_SHEET]["A2"].value)


def test_values_from_the_store_are_written_as_text_never_as_formulas(company: ServiceContext, tmp_path: Path) -> None:
    with company.engine.begin() as conn:
        conn.execute(update(accounts).where(accounts.c.login == "hind.ca")
                     .values(nom='=HYPERLINK("http://evil.example","x")'))
    path = prefilled(company, tmp_path)
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)
    wb = openpyxl.load_workbook(path)
    omar = next(r for r in table_rows(wb["Télédéclaration interne"]) if r[label_key("Login")] == "omar.td")
    assert omar[label_key("Fonction")] == "+ Responsable paie"
    nom = table_rows(wb["Compte Adhérent"])[0][label_key("Nom")]
    assert nom == '=HYPERLINK("http://evil.example","x")'


# -- secrets -------------------------------------------------------------------------------


def test_no_password_answer_or_hash_is_in_the_prefilled_file(company: ServiceContext, tmp_path: Path) -> None:
    path = prefilled(company, tmp_path)
    with zipfile.ZipFile(path) as archive:
        content = b"".join(archive.read(name) for name in archive.namelist())
    control = b"hind.berrada@albaraka.ma"
    assert control in content  # the search looks where it claims to
    for secret in (ADMIN, USER_PASSWORD, *ANSWERS.values(), *(a.lower() for a in ANSWERS.values())):
        assert secret.encode() not in content, secret
    assert b"$argon2" not in content


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def sqlite_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    return {"PROVISIONER_DATABASE_URL": sqlite_url, "PROVISIONER_CONFIG": "/nonexistent",
            "PROVISIONER_OUTBOX": str(tmp_path / "outbox"), "PROVISIONER_VAR_DIR": str(tmp_path / "var"),
            "PROVISIONER_HASH_WORKERS": "1"}


def test_an_unknown_member_number_exits_1_with_one_clean_line(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    result = CliRunner(env=sqlite_env).invoke(cli, ["template", "--adherent", "999999", "-o", str(target)])
    assert result.exit_code == 1
    assert "Aucun adhérent n'a le numéro 999999." in result.output
    assert "Traceback" not in result.output
    assert not target.exists()


def test_a_malformed_member_number_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["template", "--adherent", "12ab", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert "4 to 10 digits" in result.output


def test_the_command_writes_the_prefilled_workbook_and_says_what_it_holds(
        sqlite_env: dict[str, str], tmp_path: Path) -> None:
    engine = make_engine(sqlite_env["PROVISIONER_DATABASE_URL"])
    settings = Settings(database_url=sqlite_env["PROVISIONER_DATABASE_URL"], outbox=tmp_path / "outbox",
                        var_dir=tmp_path / "var", hash_workers=1)
    with ServiceContext(settings, engine, Hasher(1)) as ctx:
        book = make_workbook(tmp_path / "abonnement.xlsx")
        assert process_file(ctx, book).status == "accepted"
    target = tmp_path / "bordereau-123456.xlsx"

    result = CliRunner(env=sqlite_env).invoke(cli, ["template", "--adherent", NUMERO, "-o", str(target)])

    assert result.exit_code == 0, result.output
    assert "pre-filled for adherent 123456" in result.output
    # Not validated yet: the file is written, and the operator is told a Mise à jour will be refused.
    assert "not validated yet" in result.output
    assert openpyxl.load_workbook(target)[layout.ADHERENT_SHEET]["B3"].value == NUMERO


def test_the_loader_raises_unknown_adherent(ctx: ServiceContext, tmp_path: Path) -> None:
    with pytest.raises(UnknownAdherent, match="Aucun adhérent n'a le numéro 4242"):
        write_prefilled(ctx, "4242", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def without_fields(changes: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "fields"} for c in changes]


def test_the_prefill_date_is_the_day_in_casablanca() -> None:
    # 23:30 UTC on 30 November is already 1 December in Casablanca (UTC+1).
    assert prefill_note("123456", datetime(2026, 11, 30, 23, 30, tzinfo=UTC)).startswith(
        "Fichier pré-rempli le 01/12/2026 ")
