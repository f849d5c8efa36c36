"""Undoing a submission from the web, and the history of accounts and companies on their pages.

The pages call the CLI's use cases (service.revert, service.history); these
tests drive them through Starlette's test client on a real store fed by the
real pipeline: the revert button with its role and CSRF token, the refusal
when later changes touched the accounts (shown, nothing changed), the revert
of a revert, the audit, the history in order, and never a secret.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from provisioner.service.agence import subscriptions
from provisioner.service.context import ServiceContext
from provisioner.store.tables import accounts, adherents, history
from tests.factory import ADMIN_PASSWORD, USER_PASSWORD, user
from tests.integration import test_web
from tests.integration.test_web import (
    NUMERO,
    audit_rows,
    client_for,
    signed_in,
    subscribe,
    token_of,
    update_book,
)

# test_web's fixtures: a store on SQLite and PostgreSQL (ctx), on SQLite only (sqlite_ctx).
ctx = test_web.ctx
sqlite_ctx = test_web.sqlite_ctx

CANARY = "Canari27"  # a password reset by the submission: never on a page
REASON = "Fichier de l'an dernier envoyé par erreur"
REVERT_ID = re.compile(r"R\d{8}T\d{6}-[0-9a-f]{8}")


def company_with_update(ctx: ServiceContext, tmp_path: Path) -> str:
    """123456 active with sara.ca and ali.sa, then a Mise à jour that creates new.ca, changes sara.ca's email,
    disables ali.sa and resets omar.ep's password; returns that submission's id."""
    subscribe(ctx, tmp_path, categories=[], users={
        "compte_adherent": [user("sara.ca", "compte_adherent")],
        "sanctions": [user("ali.sa", "sanctions")], "easypaiement": [user("omar.ep", "easypaiement")]})
    subscriptions.activate(ctx, NUMERO)
    maj = update_book(ctx, tmp_path, "maj.xlsx", users={
        "compte_adherent": [user("new.ca", "compte_adherent"),
                            {"action": "Modifier", "login": "sara.ca", "email": "sara.new@exemple.ma"}],
        "sanctions": [{"action": "Désactiver", "login": "ali.sa"}],
        "easypaiement": [{"action": "Réinitialiser mot de passe", "login": "omar.ep", "password": CANARY,
                          "password_confirm": CANARY}]})
    assert maj.status == "accepted", maj.report["errors"]
    return str(maj.submission_id)


def accounts_state(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {r.login: tuple(r) for r in conn.execute(select(accounts).order_by(accounts.c.login))}


def account(engine: Engine, login: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(accounts).where(accounts.c.login == login)).one()


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def heading(shown: str) -> str:
    return re.sub(r"<[^>]+>", "", shown[shown.index("<h1>"):shown.index("</h1>")])


# -- the button: role, CSRF, outcome, audit ------------------------------------------------------

def test_the_revert_button_needs_the_validation_role_and_its_csrf_token(ctx, tmp_path):
    submission = company_with_update(ctx, tmp_path)
    url = f"/soumissions/{submission}/annuler"
    before = accounts_state(ctx.engine)

    reader, reader_token = signed_in(ctx, "lecture")
    assert "Annuler cette soumission" not in text_of(reader.get(f"/soumissions/{submission}"))
    refused = reader.post(url, data={"csrf_token": reader_token, "motif": REASON})
    assert refused.status_code == 403 and "ne permet pas" in refused.text

    client, token = signed_in(ctx, "validation")
    page = text_of(client.get(f"/soumissions/{submission}"))
    assert "Annuler cette soumission" in page and f'action="{url}"' in page
    assert token_of(page) == token and 'name="forcer"' in page
    for data in ({"motif": REASON}, {"csrf_token": "forged", "motif": REASON},
                 {"csrf_token": reader_token, "motif": REASON}):
        response = client.post(url, data=data)
        assert response.status_code == 403 and "jeton de sécurité" in response.text
    blank = client.post(url, data={"csrf_token": token, "motif": "  "})
    assert blank.status_code == 400 and "Le motif est obligatoire" in blank.text
    assert client_for(ctx).post(url, data={"csrf_token": token}).headers["location"] == "/connexion"
    assert accounts_state(ctx.engine) == before and audit_rows(ctx.engine, "revert") == []

    done = client.post(url, data={"csrf_token": token, "motif": REASON})

    shown = text_of(done)
    assert done.status_code == 200 and heading(shown) == f"Soumission {submission} annulée"
    [revert_id] = set(REVERT_ID.findall(shown))
    assert f'href="/annulations/{revert_id}"' in shown
    assert "sara.new@exemple.ma → sara.ca@exemple.ma" in shown and "hind.berrada@albaraka.ma" in shown
    assert account(ctx.engine, "sara.ca").email == "sara.ca@exemple.ma"
    assert account(ctx.engine, "new.ca").status == "disabled" and account(ctx.engine, "ali.sa").status == "active"
    with ctx.engine.connect() as conn:
        previous = conn.execute(select(history.c.previous_password_hash).where(
            history.c.change_set == submission, history.c.login == "omar.ep")).scalar_one()
    assert previous and account(ctx.engine, "omar.ep").password_hash == previous  # the hash before the reset
    [row] = audit_rows(ctx.engine, "revert")
    assert (row.actor, row.target, row.adherent_numero, row.at) == ("validation", submission, NUMERO, ctx.clock())
    assert row.after["reason"] == REASON and row.after["revert"] == revert_id
    journal = text_of(client.get("/journal"))
    assert "soumission annulée" in journal and REASON in journal and submission in journal

    again_page = text_of(client.get(f"/soumissions/{submission}"))
    assert f"Annulée par {revert_id} le " in again_page
    assert "Annuler cette soumission" not in again_page
    again = client.post(url, data={"csrf_token": token, "motif": "encore"})
    assert again.status_code == 409 and "déjà été annulée" in text_of(again) and revert_id in again.text
    assert len(audit_rows(ctx.engine, "revert")) == 1


def test_a_later_change_refuses_the_revert_on_the_page_and_nothing_changes(sqlite_ctx, tmp_path):
    ctx = sqlite_ctx
    submission = company_with_update(ctx, tmp_path)
    later = update_book(ctx, tmp_path, "maj2.xlsx", users={"compte_adherent": [
        {"action": "Modifier", "login": "sara.ca", "fonction": "Comptable"}]})
    assert later.status == "accepted", later.report["errors"]
    before = accounts_state(ctx.engine)
    client, token = signed_in(ctx, "validation")
    url = f"/soumissions/{submission}/annuler"

    refused = client.post(url, data={"csrf_token": token, "motif": REASON})

    shown = text_of(refused)
    assert refused.status_code == 409 and "Annulation refusée" in shown and "Rien n'a été modifié" in shown
    table = shown[shown.index('id="changements-posterieurs"'):]
    table = table[:table.index("</table>")]
    assert "sara.ca" in table and f'href="/soumissions/{later.submission_id}"' in table and "compte modifié" in table
    assert "new.ca" not in table and "ali.sa" not in table
    assert f'value="{REASON}"' in shown  # the reason typed stays in the form, to tick « Forcer »
    assert accounts_state(ctx.engine) == before and audit_rows(ctx.engine, "revert") == []

    forced = client.post(url, data={"csrf_token": token, "motif": REASON, "forcer": "oui"})

    shown = text_of(forced)
    assert forced.status_code == 200 and "Laissés tels quels" in shown
    assert account(ctx.engine, "sara.ca").email == "sara.new@exemple.ma"  # left as the later change made it
    assert account(ctx.engine, "new.ca").status == "disabled" and account(ctx.engine, "ali.sa").status == "active"
    [row] = audit_rows(ctx.engine, "revert")
    assert row.actor == "validation" and [x["login"] for x in row.after["left"]] == ["sara.ca"]


def test_a_revert_is_undone_from_its_own_page(sqlite_ctx, tmp_path):
    ctx = sqlite_ctx
    submission = company_with_update(ctx, tmp_path)
    after_update = accounts_state(ctx.engine)
    client, token = signed_in(ctx, "validation")
    first = text_of(client.post(f"/soumissions/{submission}/annuler", data={"csrf_token": token, "motif": REASON}))
    [revert_id] = set(REVERT_ID.findall(first))

    page = text_of(client.get(f"/annulations/{revert_id}"))
    assert "Annuler cette annulation" in page and f'href="/soumissions/{submission}"' in page and REASON in page
    assert "sara.new@exemple.ma → sara.ca@exemple.ma" in page
    undone = client.post(f"/annulations/{revert_id}/annuler", data={"csrf_token": token, "motif": "Bon fichier"})

    shown = text_of(undone)
    assert undone.status_code == 200 and heading(shown) == f"Annulation {revert_id} annulée"
    [second] = set(REVERT_ID.findall(shown)) - {revert_id}
    keys = accounts.c.keys()
    without_time = [k for k in keys if k != "updated_at"]
    now = {login: [v for k, v in zip(keys, row, strict=True) if k in without_time]
           for login, row in accounts_state(ctx.engine).items()}
    assert now == {login: [v for k, v in zip(keys, row, strict=True) if k in without_time]
                   for login, row in after_update.items()}
    assert [(r.target, r.after["revert"]) for r in audit_rows(ctx.engine, "revert")] == [
        (submission, revert_id), (revert_id, second)]
    assert f"Annulée par {second} le " in text_of(client.get(f"/annulations/{revert_id}"))
    # The submission is in effect again (before: « Annulée par R… » as if it still were undone).
    back = text_of(client.get(f"/soumissions/{submission}"))
    assert "Rétablie" in back and f"annulation elle-même annulée par {second}" in back
    assert back.count("de nouveau en vigueur") == 2  # the summary and the revert section
    assert client.get("/annulations/R20010101T000000-00000000").status_code == 404
    assert client.post("/annulations/R20010101T000000-00000000/annuler",
                       data={"csrf_token": token, "motif": "x"}).status_code == 404


# -- history pages -----------------------------------------------------------------------------

def test_the_account_page_shows_its_history_in_order_after_an_update_then_a_revert(sqlite_ctx, tmp_path):
    ctx = sqlite_ctx
    submission = company_with_update(ctx, tmp_path)
    client, token = signed_in(ctx, "validation")
    text_of(client.post(f"/soumissions/{submission}/annuler", data={"csrf_token": token, "motif": REASON}))
    revert_id = audit_rows(ctx.engine, "revert")[0].after["revert"]

    found = client.get("/comptes?q=sara").text
    assert 'href="/comptes/sara.ca"' in found
    page = client.get("/comptes/SARA.CA")  # logins ignore case
    shown = text_of(page)
    assert page.status_code == 200 and "Compte sara.ca" in shown and "Alaoui" in shown
    rows = shown[shown.index('id="historique"'):].split("<tr>")[2:]
    assert len(rows) == 3
    assert "compte créé" in rows[0] and "Validation de l'abonnement" in rows[0]
    assert "compte modifié" in rows[1] and f'href="/soumissions/{submission}"' in rows[1] and "maj.xlsx" in rows[1]
    assert "Email : sara.ca@exemple.ma → sara.new@exemple.ma" in rows[1]
    assert "compte modifié" in rows[2] and f'href="/annulations/{revert_id}"' in rows[2]
    assert "Email : sara.new@exemple.ma → sara.ca@exemple.ma" in rows[2] and REASON in rows[2]
    assert "par validation" in rows[2]
    assert client.get("/comptes/personne.x").status_code == 404

    company = text_of(client.get(f"/adherents/{NUMERO}"))
    assert 'href="/comptes/sara.ca"' in company and 'href="/comptes/new.ca"' in company
    section = company[company.index('id="historique"'):company.index('id="journal"')]
    assert f'href="/annulations/{revert_id}"' in section and f'href="/soumissions/{submission}"' in section


def test_the_company_history_is_capped_at_50_rows_newest_first(sqlite_ctx, tmp_path):
    ctx = sqlite_ctx
    company_with_update(ctx, tmp_path)
    with ctx.engine.begin() as conn:
        company_id = conn.execute(select(adherents.c.id)).scalar_one()
        conn.execute(insert(history), [
            {"at": ctx.clock(), "adherent_id": company_id, "action": "confirmations", "origin": "operator",
             "actor": "essai", "fields": [{"column": "Nombre de confirmations", "old": i, "new": i + 1}]}
            for i in range(60)])
    client, _ = signed_in(ctx, "lecture")

    company = text_of(client.get(f"/adherents/{NUMERO}"))

    section = company[company.index('id="historique"'):company.index('id="journal"')]
    assert section.count("<tr>") == 51  # the header and 50 rows
    assert "Nombre de confirmations : 59 → 60" in section and "Nombre de confirmations : 10 → 11" in section
    assert "Nombre de confirmations : 9 → 10" not in section
    assert "les précédents sont sur la page de chaque compte" in section


def test_no_secret_on_the_history_and_revert_pages(sqlite_ctx, tmp_path):
    ctx = sqlite_ctx
    submission = company_with_update(ctx, tmp_path)
    client, token = signed_in(ctx, "validation")
    done = client.post(f"/soumissions/{submission}/annuler", data={"csrf_token": token, "motif": REASON})
    revert_id = audit_rows(ctx.engine, "revert")[0].after["revert"]
    with ctx.engine.connect() as conn:
        hashes = {h for row in conn.execute(select(accounts.c.password_hash, accounts.c.answer1_hash))
                  for h in row if h}
        hashes |= {h for row in conn.execute(select(history.c.previous_password_hash)) for h in row if h}
    assert hashes
    pages = [done.text] + [client.get(path).text for path in (
        f"/soumissions/{submission}", f"/annulations/{revert_id}", "/comptes/omar.ep", "/comptes/sara.ca",
        f"/adherents/{NUMERO}", "/journal", "/comptes?q=om")]
    assert "Mot de passe : changé (jamais affiché)" in text_of(client.get("/comptes/omar.ep"))
    for shown in pages:
        for secret in (CANARY, USER_PASSWORD, ADMIN_PASSWORD, "$argon2", "Lyautey", *hashes):
            assert secret not in shown
        assert "<script" not in shown and "style=" not in shown
