"""The apply engine on real workbooks and a real database (SQLite and PostgreSQL).

One test per store code at its exact place, the spec's lifecycle, whole-or-nothing,
exactly once. The Agence Virtuelle's activation is driven through its use case.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from provisioner.security.hashing import verify_secret
from provisioner.service.context import ServiceContext
from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import accounts, adherents, audit, pending_users, requests, submissions
from tests.factory import ADMIN_PASSWORD, adherent, delegue, make_workbook, user

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


def update_book(tmp_path: Path, name: str, **kwargs) -> Path:
    kwargs.setdefault("adherent_values", adherent(type_demande="Mise à jour"))
    kwargs.setdefault("delegue_values", {"password": ADMIN_PASSWORD})
    kwargs.setdefault("categories", [])
    return make_workbook(tmp_path / name, **kwargs)


def subscribed(ctx: ServiceContext, tmp_path: Path, **kwargs) -> None:
    """An active company 123456 with hind.td (télédéclaration interne, categories D, S0)."""
    from provisioner.service.agence import subscriptions

    outcome = process_file(ctx, make_workbook(tmp_path / "abonnement.xlsx", **kwargs))
    assert outcome.status == "accepted", outcome.report["errors"]
    subscriptions.activate(ctx, "123456")


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def codes(outcome) -> list[tuple[str, str | None, str | None]]:
    return [(e["code"], e["sheet"], e["cell"]) for e in outcome.report["errors"]]


# -- subscription --------------------------------------------------------------------

def test_an_abonnement_creates_a_waiting_company_and_its_users_wait_for_validation(ctx, tmp_path):
    outcome = process_file(ctx, make_workbook(tmp_path / "a.xlsx"))
    assert outcome.status == "accepted"
    assert without_fields(outcome.report["changes"]) == [
        {"action": "create", "teleservice": "td_interne", "login": "hind.td"}]
    with ctx.engine.connect() as conn:
        company = conn.execute(select(adherents)).one()
        assert company.status == "pending"
        assert verify_secret(company.admin_password_hash, ADMIN_PASSWORD)
        assert conn.execute(select(pending_users.c.login)).scalars().all() == ["hind.td"]
    assert count(ctx.engine, accounts) == 0
    report = json.loads((outcome.folder / "rapport.json").read_text())
    assert report["status"] == "accepted" and report["request_type"] == "abonnement"
    assert (outcome.folder / "rapport.html").is_file()
    assert (outcome.folder / "formulaire-abonnement.pdf").is_file()


def test_an_abonnement_for_a_company_already_subscribed_is_adherent_exists(ctx, tmp_path):
    process_file(ctx, make_workbook(tmp_path / "a.xlsx"))
    again = process_file(ctx, make_workbook(tmp_path / "b.xlsx", users={"td_interne": [user("autre.td")]},
                                            categories=[{"login": "autre.td", "D": "X"}]))
    assert again.status == "rejected"
    assert ("ADHERENT_EXISTS", "Adhérent", "B2") in codes(again)


def test_a_mise_a_jour_before_validation_is_adherent_pending(ctx, tmp_path):
    process_file(ctx, make_workbook(tmp_path / "a.xlsx"))
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={}))
    assert ("ADHERENT_PENDING", "Adhérent", "B2") in codes(outcome)


# -- authentication -------------------------------------------------------------------

def test_unknown_company_and_wrong_password_get_the_same_answer(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    unknown = process_file(ctx, update_book(tmp_path, "x.xlsx", adherent_values=adherent(
        type_demande="Mise à jour", numero="999999"), users={}))
    wrong = process_file(ctx, update_book(tmp_path, "y.xlsx", delegue_values={"password": "Wrong2026"},
                                          users={}))
    assert unknown.report["errors"] == wrong.report["errors"]
    assert [e["code"] for e in wrong.report["errors"]] == ["AUTH_FAILED"]
    assert wrong.report["errors"][0]["cell"] == "B9"


def test_an_unauthenticated_workbook_learns_nothing_about_logins(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "x.xlsx", delegue_values={"password": "Wrong2026"},
                                            users={"td_interne": [user("nobody.td", action="Modifier")]}))
    assert [e["code"] for e in outcome.report["errors"]] == ["AUTH_FAILED"]


def test_five_failures_lock_the_company_and_a_right_password_is_then_refused(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    for i in range(5):
        outcome = process_file(ctx, update_book(tmp_path, f"w{i}.xlsx", delegue_values={"password": f"Bad{i}pass"},
                                                users={}))
        assert [e["code"] for e in outcome.report["errors"]] == ["AUTH_FAILED"]
    right = process_file(ctx, update_book(tmp_path, "r.xlsx", users={}))
    assert [e["code"] for e in right.report["errors"]] == ["ACCOUNT_LOCKED"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(adherents.c.locked_until)).scalar_one() is not None


# -- the store codes ---------------------------------------------------------------------

def test_an_abonnement_learns_nothing_of_a_login_taken_elsewhere_until_it_is_validated(ctx, tmp_path):
    """spec: an unauthenticated workbook learns nothing about who exists; an Abonnement is one.

    Its login taken by another company is not LOGIN_TAKEN at submission: the Abonnement is accepted like
    any other, and the login is skipped, and said, when the Agence Virtuelle validates the subscription."""
    from provisioner.service.agence import subscriptions

    subscribed(ctx, tmp_path)
    free = process_file(ctx, make_workbook(
        tmp_path / "f.xlsx", adherent_values=adherent(numero="777778"),
        delegue_values=delegue(email="rh@libre.ma"), users={"td_interne": [user("libre.td")]},
        categories=[{"login": "libre.td", "D": "X"}]))
    other = process_file(ctx, make_workbook(
        tmp_path / "o.xlsx", adherent_values=adherent(numero="777777"),
        delegue_values=delegue(email="rh@autre.ma"), users={"td_interne": [user("HIND.td")]},
        categories=[{"login": "HIND.td", "D": "X"}]))
    assert other.status == free.status == "accepted"
    assert codes(other) == [] and other.report["warnings"] == free.report["warnings"]
    assert "HIND" not in json.dumps(other.report["errors"] + other.report["warnings"], ensure_ascii=False)
    result = subscriptions.activate(ctx, "777777")
    assert result.created == []
    assert result.skipped == [{"login": "HIND.td", "teleservice": "td_interne", "reason": "login_taken"}]


def test_a_mise_a_jour_creating_a_login_taken_by_another_company_is_login_taken(ctx, tmp_path):
    from provisioner.service.agence import subscriptions

    subscribed(ctx, tmp_path)
    other = process_file(ctx, make_workbook(
        tmp_path / "o.xlsx", adherent_values=adherent(numero="777777"),
        delegue_values=delegue(email="rh@autre.ma"), users={"td_interne": [user("autre.td")]},
        categories=[{"login": "autre.td", "D": "X"}]))
    assert other.status == "accepted"
    subscriptions.activate(ctx, "777777")
    update = process_file(ctx, update_book(
        tmp_path, "u.xlsx", adherent_values=adherent(numero="777777", type_demande="Mise à jour"),
        users={"td_interne": [user("HIND.td")]}, categories=[{"login": "HIND.td", "D": "X"}]))
    assert ("LOGIN_TAKEN", "Télédéclaration interne", "K2") in codes(update)


def test_a_login_used_on_another_teleservice_of_the_company_is_login_taken(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={
        "compte_adherent": [user("hind.td", "compte_adherent", action="Créer")]}))
    assert ("LOGIN_TAKEN", "Compte Adhérent", "J2") in codes(outcome)


@pytest.mark.parametrize("action", ["Modifier", "Désactiver", "Réactiver", "Réinitialiser mot de passe"])
def test_acting_on_a_login_the_company_does_not_have_is_user_not_found(ctx, tmp_path, action):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={
        "sanctions": [{"action": action, "login": "ghost.sa"}]}))
    assert ("USER_NOT_FOUND", "Sanctions", "J2") in codes(outcome)


def test_a_new_teledeclaration_user_without_categories_is_category_missing(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={"td_interne": [user("new.td")]}))
    assert ("CATEGORY_MISSING", "Télédéclaration interne", "K2") in codes(outcome)


def test_a_category_row_for_a_login_the_company_lacks_is_category_unknown_login(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={},
                                            categories=[{"login": "ghost.td", "D": "X"}]))
    assert ("CATEGORY_UNKNOWN_LOGIN", "Catégories", "A2") in codes(outcome)


def test_two_confirmations_with_one_validator_is_easypaiement_validators(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(
        tmp_path, "u.xlsx", adherent_values=adherent(type_demande="Mise à jour", confirmations="2"),
        users={"easypaiement": [user("pay.one", "easypaiement")]}))
    assert ("EASYPAIEMENT_VALIDATORS", "Adhérent", "B11") in codes(outcome)


def test_two_validators_who_are_one_person_do_not_make_two_confirmations(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(
        tmp_path, "u.xlsx", adherent_values=adherent(type_demande="Mise à jour", confirmations="2"),
        users={"easypaiement": [user("pay.one", "easypaiement", email="same@x.ma"),
                                user("pay.two", "easypaiement", email="SAME@x.ma")]}))
    [found] = [e for e in outcome.report["errors"] if e["code"] == "EASYPAIEMENT_VALIDATORS"]
    # Before: « il faut au moins 2 validateurs … ; il y en aurait 2 », which contradicted itself.
    assert "« same@x.ma »" in found["message"] and "il y en aurait" not in found["message"]


# -- whole or nothing, exactly once ---------------------------------------------------------

def test_a_workbook_with_one_error_changes_nothing(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    before = count(ctx.engine, accounts)
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={
        "compte_adherent": [user("good.ca", "compte_adherent")],
        "sanctions": [{"action": "Désactiver", "login": "ghost.sa"}]}))
    assert outcome.status == "rejected"
    assert count(ctx.engine, accounts) == before
    assert (outcome.folder / "bordereau-annote.xlsx").is_file()


def test_the_same_bytes_again_are_a_duplicate_that_changes_nothing(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    book = update_book(tmp_path, "u.xlsx", users={"compte_adherent": [user("good.ca", "compte_adherent")]})
    first = process_file(ctx, book)
    copy = tmp_path / "copie.xlsx"
    shutil.copy(book, copy)
    second = process_file(ctx, copy)
    assert (first.status, second.status) == ("accepted", "duplicate")
    assert second.report["duplicate_of"] == first.submission_id
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(accounts)
                            .where(accounts.c.login == "good.ca")).scalar_one() == 1
    assert json.loads((second.folder / "rapport.json").read_text())["status"] == "duplicate"


def test_controle_seul_lists_what_would_change_and_applies_nothing(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(
        tmp_path, "c.xlsx", adherent_values=adherent(type_demande="Contrôle seul"),
        users={"compte_adherent": [user("good.ca", "compte_adherent")]}))
    assert outcome.status == "accepted"
    assert without_fields(outcome.report["changes"]) == [{"action": "create", "teleservice": "compte_adherent",
                                                          "login": "good.ca"}]
    assert count(ctx.engine, accounts) == 1


# -- lifecycle -----------------------------------------------------------------------------------

def test_update_disable_enable_and_reset_walk_an_account_through_its_life(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    steps = [
        ({"td_interne": [{"action": "Modifier", "login": "hind.td", "fonction": "DRH"}]}, "update"),
        ({"td_interne": [{"action": "Désactiver", "login": "hind.td"}]}, "disable"),
        ({"td_interne": [{"action": "Réactiver", "login": "hind.td"}]}, "enable"),
        ({"td_interne": [{"action": "Réinitialiser mot de passe", "login": "hind.td"}]}, "reset_password"),
    ]
    for i, (users, action) in enumerate(steps):
        outcome = process_file(ctx, update_book(tmp_path, f"s{i}.xlsx", users=users))
        assert outcome.status == "accepted", outcome.report["errors"]
        assert [c["action"] for c in outcome.report["changes"]] == [action]
    with ctx.engine.connect() as conn:
        row = conn.execute(select(accounts)).one()
    assert (row.fonction, row.status) == ("DRH", "active")
    assert count(ctx.engine, audit) >= 5


def test_a_new_delegate_email_waits_for_the_agence_virtuelle(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "d.xlsx", users={}, delegue_values={
        "password": ADMIN_PASSWORD, "email": "nouvelle.rh@albaraka.ma"}))
    assert outcome.status == "accepted"
    assert [r["kind"] for r in outcome.report["requests"]] == ["delegue_change"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(adherents.c.delegue)).scalar_one()["email"] == "hind.berrada@albaraka.ma"
        assert conn.execute(select(requests.c.status)).scalar_one() == "waiting"


def test_the_administrator_changes_the_administrator_password(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "p.xlsx", users={}, delegue_values={
        "password": ADMIN_PASSWORD, "new_password": "Neuf2027", "new_password_confirm": "Neuf2027"}))
    assert outcome.status == "accepted"
    with ctx.engine.connect() as conn:
        assert verify_secret(conn.execute(select(adherents.c.admin_password_hash)).scalar_one(), "Neuf2027")


def test_disabling_most_accounts_is_held_for_the_agence_virtuelle(ctx, tmp_path):
    users = {"td_interne": [user(f"u{i}.td") for i in range(6)]}
    subscribed(ctx, tmp_path, users=users, categories=[{"login": f"u{i}.td", "D": "X"} for i in range(6)])
    outcome = process_file(ctx, update_book(tmp_path, "m.xlsx", users={
        "td_interne": [{"action": "Désactiver", "login": f"u{i}.td"} for i in range(5)]}))
    assert outcome.status == "accepted" and outcome.report["held"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(accounts)
                            .where(accounts.c.status == "active")).scalar_one() == 6
        assert conn.execute(select(requests.c.kind)).scalar_one() == "mass_disable"
        assert conn.execute(select(submissions.c.status).where(
            submissions.c.id == outcome.submission_id)).scalar_one() == "held"


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repository")
def test_the_three_samples_run_in_order_as_their_readme_says(ctx, tmp_path):
    from provisioner.service.agence import subscriptions

    first = process_file(ctx, SAMPLES / "abonnement-valide.xlsx")
    assert first.status == "accepted", first.report["errors"]
    subscriptions.activate(ctx, "123456")
    second = process_file(ctx, SAMPLES / "mise-a-jour-valide.xlsx")
    assert second.status == "accepted", second.report["errors"]
    assert second.report["counts"]["created"] == 3 and second.report["counts"]["updated"] == 1
    before = count(ctx.engine, accounts)
    third = process_file(ctx, SAMPLES / "mise-a-jour-avec-erreurs.xlsx")
    assert third.status == "rejected"
    found = {(e["code"], e["sheet"], e["cell"] or e["row"]) for e in third.report["errors"]}
    assert ("PASSWORD_POLICY", "e-Liquidation@", "K2") in found
    assert ("LOGIN_DUPLICATE", "e-Liquidation@", "J4") in found
    assert {e["code"] for e in third.report["errors"]} == {
        "PASSWORD_POLICY", "PASSWORD_MISMATCH", "LOGIN_DUPLICATE", "EASYPAIEMENT_ROLE"}
    assert count(ctx.engine, accounts) == before


def test_an_approved_mass_deactivation_applies_the_held_workbook_whole(ctx, tmp_path):
    from provisioner.service.agence import decisions

    users = {"td_interne": [user(f"u{i}.td") for i in range(6)]}
    subscribed(ctx, tmp_path, users=users, categories=[{"login": f"u{i}.td", "D": "X"} for i in range(6)])
    outcome = process_file(ctx, update_book(
        tmp_path, "m.xlsx", adherent_values=adherent(type_demande="Mise à jour", confirmations="1"),
        delegue_values={"password": ADMIN_PASSWORD, "new_password": "Neuf2027", "new_password_confirm": "Neuf2027"},
        users={"td_interne": [{"action": "Désactiver", "login": f"u{i}.td"} for i in range(5)]}))
    assert outcome.report["held"]
    request_id = outcome.report["requests"][0]["id"]
    decisions.approve_request(ctx, request_id)
    with ctx.engine.connect() as conn:
        disabled = conn.execute(select(func.count()).select_from(accounts)
                                .where(accounts.c.status == "disabled")).scalar_one()
        admin_hash = conn.execute(select(adherents.c.admin_password_hash)).scalar_one()
        status = conn.execute(select(submissions.c.status).where(
            submissions.c.id == outcome.submission_id)).scalar_one()
    assert (disabled, status) == (5, "accepted")
    assert verify_secret(admin_hash, "Neuf2027")


@pytest.mark.parametrize("valid", [True, False], ids=["accepted", "rejected"])
def test_two_copies_of_one_file_at_the_same_moment_are_one_submission_and_a_duplicate(ctx, tmp_path, valid):
    from concurrent.futures import ThreadPoolExecutor

    subscribed(ctx, tmp_path)
    sanctions = [user("good.sa", "sanctions", email="good@x.ma" if valid else "pas-une-adresse")]
    book = update_book(tmp_path, "u.xlsx", users={"sanctions": sanctions})
    copy = tmp_path / "copie.xlsx"
    shutil.copy(book, copy)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda path: process_file(ctx, path), [book, copy]))
    assert sorted(o.status for o in outcomes) == sorted(["accepted" if valid else "rejected", "duplicate"])
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(submissions).where(
            submissions.c.sha256 == outcomes[0].report["sha256"])).scalar_one()
        created = conn.execute(select(func.count()).select_from(accounts)
                               .where(accounts.c.login == "good.sa")).scalar_one()
    assert (rows, created) == (1, 1 if valid else 0)
    assert all((o.folder / "rapport.json").is_file() for o in outcomes)


def without_fields(changes: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "fields"} for c in changes]


def test_a_file_in_another_format_is_rejected_without_an_annotated_copy(ctx, tmp_path):
    path = tmp_path / "bordereau.xls"
    path.write_bytes(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + bytes(600))  # OLE2: Excel 97-2003
    outcome = process_file(ctx, path)
    assert [e["code"] for e in outcome.report["errors"]] == ["FILE_TYPE"]
    # Before: a « bordereau annoté » holding only the Anomalies sheet, which had no cell to show.
    assert sorted(p.name for p in outcome.folder.iterdir()) == ["rapport.html", "rapport.json"]
    page = (outcome.folder / "rapport.html").read_text(encoding="utf-8")
    assert "bordereau annoté" not in page and "cellules en rouge" not in page
