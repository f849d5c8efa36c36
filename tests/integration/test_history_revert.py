"""Changes field by field, the history of an account, and undoing a submission (SQLite and PostgreSQL).

One company's life on real workbooks: an Abonnement validated, a first
Mise à jour that disables karim.sa, then the Mise à jour under test (M1)
that creates, updates, disables, reactivates, changes categories and
powers, resets a password, and changes the company's settings. The store
is compared with snapshots of its state tables (adherents, accounts,
account_categories, pending_users, requests), `updated_at` aside: a revert
is a change, and its time is now. The audit, the history, the submissions,
the reverts and the emails only grow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from provisioner.service.agence import decisions, subscriptions
from provisioner.service.agence.history import account_history, company_history
from provisioner.service.agence.revert import AlreadyReverted, LaterChanges, revert
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.requests import list_requests
from provisioner.service.submission.pipeline import process_file
from provisioner.store import tables
from provisioner.store.tables import mail_queue
from provisioner.workbook import layout
from tests.factory import ADMIN_PASSWORD, USER_PASSWORD, adherent, make_workbook, user

NEW_ADMIN = "Admin2027"
RESET_PASSWORD = "Reset2027"
REASON = "Fichier de l'an dernier envoyé par erreur"
NEW_QA = {"question1": layout.SECRET_QUESTIONS[3], "answer1": "Fes", "question2": layout.SECRET_QUESTIONS[4],
          "answer2": "Youssef", "question3": layout.SECRET_QUESTIONS[5], "answer3": "Mimi"}
STATE_TABLES = (tables.adherents, tables.accounts, tables.account_categories, tables.pending_users,
                tables.requests)


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the state tables, `updated_at` aside, in a stable order."""
    with engine.connect() as conn:
        shot = {}
        for table in STATE_TABLES:
            rows = [{k: v for k, v in row._mapping.items() if k != "updated_at"}
                    for row in conn.execute(select(table))]
            shot[table.name] = sorted(rows, key=repr)
        return shot


def book(tmp_path: Path, name: str, kind: str = "Mise à jour", **kwargs: Any) -> Path:
    kwargs.setdefault("adherent_values", adherent(type_demande=kind))
    kwargs.setdefault("delegue_values", {"password": ADMIN_PASSWORD})
    kwargs.setdefault("categories", [])
    return make_workbook(tmp_path / name, **kwargs)


def company(ctx: ServiceContext, tmp_path: Path) -> None:
    """123456, active, with hind.td (D, S0), sara.ca, ali.sa, karim.sa (disabled), omar.ep, nadia.ep."""
    users = {"td_interne": [user("hind.td")], "compte_adherent": [user("sara.ca", "compte_adherent")],
             "sanctions": [user("ali.sa", "sanctions"), user("karim.sa", "sanctions")],
             "easypaiement": [user("omar.ep", "easypaiement"),
                              user("nadia.ep", "easypaiement", email="nadia@exemple.ma")]}
    outcome = process_file(ctx, make_workbook(tmp_path / "abonnement.xlsx", users=users))
    assert outcome.status == "accepted", outcome.report["errors"]
    subscriptions.activate(ctx, "123456")
    off = process_file(ctx, book(tmp_path, "m0.xlsx", users={
        "sanctions": [{"action": "Désactiver", "login": "karim.sa"}]}))
    assert off.status == "accepted", off.report["errors"]


def m1(tmp_path: Path, kind: str = "Mise à jour", name: str = "m1.xlsx") -> Path:
    """Creations, an update, a deactivation, a reactivation, categories, powers, a reset, settings."""
    return book(
        tmp_path, name, kind,
        adherent_values=adherent(type_demande=kind, confirmations="2"),
        delegue_values={"password": ADMIN_PASSWORD, "new_password": NEW_ADMIN, "new_password_confirm": NEW_ADMIN},
        users={"compte_adherent": [user("new.ca", "compte_adherent"),
                                   {"action": "Modifier", "login": "sara.ca", "email": "sara.new@exemple.ma",
                                    "fonction": "Comptable"}],
               "sanctions": [{"action": "Désactiver", "login": "ali.sa"},
                             {"action": "Réactiver", "login": "karim.sa"}],
               "easypaiement": [{"action": "Réinitialiser mot de passe", "login": "omar.ep",
                                 "password": RESET_PASSWORD, "password_confirm": RESET_PASSWORD},
                                {"action": "Modifier", "login": "nadia.ep", "ordonnateur": "Non", **NEW_QA}]},
        categories=[{"login": "hind.td", "S1": "X"}])


def change_of(report: dict[str, Any], login: str) -> dict[str, Any]:
    return next(c for c in report["changes"] if c["login"] == login)


def state(engine: Engine, login: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(tables.accounts).where(tables.accounts.c.login == login)).one()


# -- rapport.json: fields ------------------------------------------------------------------

def test_the_report_says_what_changes_field_by_field(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, m1(tmp_path))
    assert outcome.status == "accepted", outcome.report["errors"]
    report = outcome.report

    created = change_of(report, "new.ca")["fields"]
    assert {"column": "Nom", "old": None, "new": "Alaoui"} in created
    assert {"column": "Email", "old": None, "new": "new.ca@exemple.ma"} in created
    # Typed in the workbook: chosen, named without a value (tests/integration/test_secret_fields.py).
    assert {"column": "Mot de passe", "secret": "chosen"} in created
    assert {"column": "Réponse 1", "secret": "chosen"} in created
    assert change_of(report, "sara.ca")["fields"] == [
        {"column": "Fonction", "old": "Gestionnaire RH", "new": "Comptable"},
        {"column": "Email", "old": "sara.ca@exemple.ma", "new": "sara.new@exemple.ma"}]
    assert change_of(report, "hind.td") == {"action": "update", "teleservice": "td_interne", "login": "hind.td",
                                            "fields": [{"column": "Catégories", "old": "D, S0", "new": "S1"}]}
    assert change_of(report, "nadia.ep")["fields"] == [
        {"column": "Ordonnateur", "old": "Oui", "new": "Non"},
        {"column": "Question 1", "old": layout.SECRET_QUESTIONS[0], "new": layout.SECRET_QUESTIONS[3]},
        {"column": "Question 2", "old": layout.SECRET_QUESTIONS[1], "new": layout.SECRET_QUESTIONS[4]},
        {"column": "Question 3", "old": layout.SECRET_QUESTIONS[2], "new": layout.SECRET_QUESTIONS[5]},
        {"column": "Réponse 1"}, {"column": "Réponse 2"}, {"column": "Réponse 3"}]
    assert change_of(report, "omar.ep") == {"action": "reset_password", "teleservice": "easypaiement",
                                            "login": "omar.ep", "fields": [{"column": "Mot de passe"}]}
    assert change_of(report, "ali.sa")["fields"] == [{"column": "Statut", "old": "Actif", "new": "Désactivé"}]
    assert change_of(report, "karim.sa")["fields"] == [{"column": "Statut", "old": "Désactivé", "new": "Actif"}]
    settings = {c["kind"]: c["fields"] for c in report["company_changes"]}
    assert settings["confirmations"] == [{"column": "Nombre de confirmations E@syPaiement", "old": 1, "new": 2}]
    assert settings["admin_password"] == [{"column": "Nouveau mot de passe"}]

    # The same on disk, and in the outputs people read; never a secret's value.
    written = (ctx.outbox / outcome.submission_id / "rapport.json").read_text(encoding="utf-8")
    html = (ctx.outbox / outcome.submission_id / "rapport.html").read_text(encoding="utf-8")
    assert '"column": "Catégories"' in written
    assert "sara.new@exemple.ma" in html and "Comptable" in html and "changé (jamais affiché)" in html
    with ctx.engine.connect() as conn:
        accepted = conn.execute(select(mail_queue.c.body_text).where(mail_queue.c.kind == "accepted")
                                .order_by(mail_queue.c.id.desc())).scalars().first()
    assert "Email : sara.ca@exemple.ma → sara.new@exemple.ma" in accepted
    assert "Nombre de confirmations E@syPaiement : 1 → 2" in accepted
    assert "Nouveau mot de passe : changé (jamais affiché)" in accepted
    for text in (written, html, accepted):
        for secret in (RESET_PASSWORD, NEW_ADMIN, USER_PASSWORD, "$argon2"):
            assert secret not in text


def test_a_company_request_is_reported_field_by_field(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, book(tmp_path, "d.xlsx", users={},
                                     delegue_values={"password": ADMIN_PASSWORD, "email": "autre@albaraka.ma"}))
    assert outcome.status == "accepted", outcome.report["errors"]
    (line,) = outcome.report["company_changes"]
    assert line["kind"] == "delegue_change" and line["status"] == "waiting"
    assert line["fields"] == [{"column": "Email", "old": "hind.berrada@albaraka.ma", "new": "autre@albaraka.ma"}]


def test_a_controle_seul_reports_exactly_what_the_mise_a_jour_then_does(ctx, tmp_path):
    company(ctx, tmp_path)
    before = snapshot(ctx.engine)
    preview = process_file(ctx, m1(tmp_path, "Contrôle seul", "preview.xlsx"))
    assert preview.status == "accepted", preview.report["errors"]
    assert snapshot(ctx.engine) == before
    applied = process_file(ctx, m1(tmp_path))
    assert applied.status == "accepted", applied.report["errors"]
    assert preview.report["changes"] == applied.report["changes"]
    assert preview.report["counts"] == applied.report["counts"]
    assert [(c["kind"], c["fields"]) for c in preview.report["company_changes"]] == \
        [(c["kind"], c["fields"]) for c in applied.report["company_changes"]]
    with ctx.engine.connect() as conn:
        told = conn.execute(select(mail_queue.c.body_text).where(mail_queue.c.kind == "controle")).scalar_one()
    assert "Fonction : Gestionnaire RH → Comptable" in told
    assert "Nombre de confirmations E@syPaiement : 1 → 2" in told


# -- revert ------------------------------------------------------------------------------

def test_reverting_a_mise_a_jour_restores_the_store_exactly(ctx, tmp_path):
    company(ctx, tmp_path)
    before = snapshot(ctx.engine)
    outcome = process_file(ctx, m1(tmp_path))
    assert outcome.status == "accepted", outcome.report["errors"]
    assert snapshot(ctx.engine) != before

    done = revert(ctx, outcome.submission_id, operator="fatima", reason=REASON)

    after = snapshot(ctx.engine)
    created = [a for a in after["accounts"] if a["login"] == "new.ca"]
    assert len(created) == 1 and created[0]["status"] == "disabled"  # nothing deleted: the login stays taken
    after["accounts"] = [a for a in after["accounts"] if a["login"] != "new.ca"]
    after["account_categories"] = [c for c in after["account_categories"] if c["account_id"] != created[0]["id"]]
    assert after == before
    assert {a["login"] for a in done.reverted} == {"new.ca", "sara.ca", "ali.sa", "karim.sa", "omar.ep",
                                                   "nadia.ep", "hind.td"}
    assert {s["kind"] for s in done.settings} == {"confirmations", "admin_password"}
    assert done.left == []


def test_a_submission_is_reverted_at_most_once(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, m1(tmp_path))
    first = revert(ctx, outcome.submission_id, operator="fatima")
    with pytest.raises(AlreadyReverted, match=first.id):
        revert(ctx, outcome.submission_id, operator="fatima")


def test_a_later_change_refuses_the_revert_and_force_leaves_that_account(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, m1(tmp_path))
    later = process_file(ctx, book(tmp_path, "m2.xlsx", users={"compte_adherent": [
        {"action": "Modifier", "login": "sara.ca", "fonction": "Directrice"}]},
        delegue_values={"password": NEW_ADMIN}))
    assert later.status == "accepted", later.report["errors"]
    unchanged = snapshot(ctx.engine)

    with pytest.raises(LaterChanges) as refused:
        revert(ctx, outcome.submission_id, operator="fatima")
    assert snapshot(ctx.engine) == unchanged
    (conflict,) = refused.value.details["later"]
    assert conflict["login"] == "sara.ca"
    assert [e["change_set"] for e in conflict["later"]] == [later.submission_id]

    done = revert(ctx, outcome.submission_id, operator="fatima", force=True)
    assert [x["login"] for x in done.left] == ["sara.ca"]
    assert "sara.ca" not in {a["login"] for a in done.reverted}
    assert state(ctx.engine, "sara.ca").fonction == "Directrice"  # left as the later change made it
    assert state(ctx.engine, "ali.sa").status == "active"  # the others are reverted
    assert state(ctx.engine, "new.ca").status == "disabled"


def test_a_revert_can_itself_be_undone(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, m1(tmp_path))
    applied = snapshot(ctx.engine)
    first = revert(ctx, outcome.submission_id, operator="fatima", reason=REASON)
    assert snapshot(ctx.engine) != applied
    revert(ctx, first.id, operator="fatima", reason="Annulation faite par erreur")
    assert snapshot(ctx.engine) == applied  # password hashes included: the reset one is back


def test_the_delegate_is_told_what_was_undone_and_why(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, m1(tmp_path))
    done = revert(ctx, outcome.submission_id, operator="fatima", reason=REASON)
    assert done.notified == ["hind.berrada@albaraka.ma"]
    with ctx.engine.connect() as conn:
        (mail,) = conn.execute(select(mail_queue).where(mail_queue.c.kind == "submission_reverted")).all()
    assert mail.recipients == ["hind.berrada@albaraka.ma"]
    assert outcome.submission_id in mail.subject
    assert f"Motif : {REASON}" in mail.body_text
    assert "login new.ca" in mail.body_text and "login sara.ca" in mail.body_text
    assert "Email : sara.new@exemple.ma → sara.ca@exemple.ma" in mail.body_text
    assert "m1.xlsx" in mail.body_text and "an dernier envoyé par erreur" in mail.body_html
    for secret in (RESET_PASSWORD, NEW_ADMIN, USER_PASSWORD, ADMIN_PASSWORD, "$argon2"):
        assert secret not in mail.body_text and secret not in mail.body_html


def test_a_held_submission_approved_later_is_reverted_like_any_other(ctx, tmp_path):
    company(ctx, tmp_path)
    before = snapshot(ctx.engine)
    leaving = {"td_interne": ["hind.td"], "compte_adherent": ["sara.ca"], "sanctions": ["ali.sa"],
               "easypaiement": ["omar.ep", "nadia.ep"]}
    outcome = process_file(ctx, book(tmp_path, "mass.xlsx", users={
        key: [{"action": "Désactiver", "login": login} for login in logins] for key, logins in leaving.items()}))
    assert outcome.report["held"] is True, outcome.report["errors"]
    [waiting] = list_requests(ctx)
    decisions.approve_request(ctx, waiting["id"])
    assert state(ctx.engine, "sara.ca").status == "disabled"
    last = account_history(ctx, "sara.ca")["changes"][-1]
    assert (last["origin"], last["change_set"], last["reference"]) == (
        "request", outcome.submission_id, f"demande {waiting['id']}")

    revert(ctx, outcome.submission_id, operator="fatima")

    after = snapshot(ctx.engine)
    assert [r["status"] for r in after.pop("requests")] == ["approved"]  # the decision stays on record
    before.pop("requests")
    assert after == before


# -- history -----------------------------------------------------------------------------

def test_the_history_shows_every_change_in_order_with_its_origin(ctx, tmp_path):
    company(ctx, tmp_path)
    outcome = process_file(ctx, m1(tmp_path))
    done = revert(ctx, outcome.submission_id, operator="fatima", reason=REASON)

    sara = account_history(ctx, "SARA.CA")["changes"]
    assert [(c["action"], c["origin"]) for c in sara] == [
        ("create", "subscription"), ("update", "submission"), ("update", "revert")]
    assert sara[1]["change_set"] == outcome.submission_id and sara[1]["reference"] == "m1.xlsx"
    assert {"column": "Email", "old": "sara.ca@exemple.ma", "new": "sara.new@exemple.ma"} in sara[1]["fields"]
    assert {"column": "Email", "old": "sara.new@exemple.ma", "new": "sara.ca@exemple.ma"} in sara[2]["fields"]
    assert sara[2]["change_set"] == done.id and sara[2]["actor"] == "fatima" and sara[2]["reason"] == REASON

    karim = account_history(ctx, "karim.sa")["changes"]
    assert [c["action"] for c in karim] == ["create", "disable", "enable", "disable"]
    omar = account_history(ctx, "omar.ep")["changes"]
    assert [(c["action"], c["fields"]) for c in omar[1:]] == [
        ("reset_password", [{"column": "Mot de passe"}]), ("reset_password", [{"column": "Mot de passe"}])]
    hind = account_history(ctx, "hind.td")["changes"]
    assert [c["fields"] for c in hind[1:]] == [[{"column": "Catégories", "old": "D, S0", "new": "S1"}],
                                               [{"column": "Catégories", "old": "S1", "new": "D, S0"}]]
    new = account_history(ctx, "new.ca")["changes"]
    assert [c["action"] for c in new] == ["create", "disable"]
    shown = repr([sara, karim, omar, hind, new])
    assert "$argon2" not in shown and RESET_PASSWORD not in shown and USER_PASSWORD not in shown

    everything = company_history(ctx, "123456")
    assert [c["id"] for c in everything] == sorted((c["id"] for c in everything), reverse=True)
    assert {c["action"] for c in everything if c["login"] is None} == {"confirmations", "admin_password"}
    label = "Nombre de confirmations E@syPaiement"
    assert [(c["origin"], c["fields"]) for c in everything if c["action"] == "confirmations"] == [
        ("revert", [{"column": label, "old": 2, "new": 1}]), ("submission", [{"column": label, "old": 1, "new": 2}])]
    assert "$argon2" not in repr(everything)
