"""The web back office through Starlette's test client, on a real store fed by the real pipeline.

Every route is visited with every role; state changes go through forms with
their CSRF token, and what they change is read back from the store and the
audit. The store parts (operators, sign-in lockout, sessions, the audit) run
on SQLite and PostgreSQL; the pages themselves on SQLite only (they are the
same SQL).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from starlette.testclient import TestClient

from provisioner.config import Settings
from provisioner.mail.render import SECRET_KINDS
from provisioner.security.hashing import Hasher
from provisioner.service.agence import operators, subscriptions
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.accounts import search_accounts
from provisioner.service.read_models.companies import list_adherents, search_adherents
from provisioner.service.read_models.requests import list_requests
from provisioner.store.tables import (
    accounts,
    adherents,
    audit,
    mail_queue,
    operator_sessions,
    requests,
    utcnow,
)
from provisioner.store.tables import operators as operator_rows
from provisioner.web.app import create_app
from tests.factory import ADMIN_PASSWORD, user
from tests.integration.test_agence import subscribe, update_book
from tests.stores import migrated_sqlite

NUMERO = "123456"
PASSWORD = "motdepasse-operateur-1"
ROLES = ("lecture", "validation", "admin")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A clock the test moves: idle timeouts and lockouts without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> Any:
        return self.now


def make_ctx(engine: Engine, tmp_path: Path) -> ServiceContext:
    settings = Settings(database_url=str(engine.url), outbox=tmp_path / "outbox", inbox=tmp_path / "inbox",
                        var_dir=tmp_path / "var", hash_workers=1)
    return ServiceContext(settings, engine, Hasher(1), clock=Clock())


@pytest.fixture
def ctx(engine: Engine, tmp_path: Path) -> Iterator[ServiceContext]:
    context = make_ctx(engine, tmp_path)
    yield context
    context.hasher.close()


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    engine = migrated_sqlite(tmp_path / "var" / "web.db")
    context = make_ctx(engine, tmp_path)
    yield context
    context.hasher.close()
    engine.dispose()


def client_for(ctx: ServiceContext) -> TestClient:
    return TestClient(create_app(ctx), follow_redirects=False)


def token_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    token = token_of(client.get("/connexion").text)
    return client.post("/connexion", data={"login": login, "password": password, "csrf_token": token})


def signed_in(ctx: ServiceContext, role: str) -> tuple[TestClient, str]:
    """A client signed in as an operator of `role` (created on first use), and its CSRF token."""
    if not any(o["login"] == role for o in operators.list_operators(ctx)):
        operators.add_operator(ctx, role, role, PASSWORD)
    client = client_for(ctx)
    assert sign_in(client, role).status_code == 303
    return client, token_of(client.get("/").text)



def audit_rows(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(select(audit).where(audit.c.action == action).order_by(audit.c.id)).all()


# -- signing in: the store parts, on SQLite and PostgreSQL --------------------------------------

def test_an_operator_signs_in_and_out_and_the_cookie_is_httponly_and_strict(ctx):
    operators.add_operator(ctx, "amina", "lecture", PASSWORD)
    client = client_for(ctx)
    assert client.get("/").headers["location"] == "/connexion"

    response = sign_in(client, "Amina")  # logins ignore case

    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "provisioner_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie
    page = client.get("/")
    assert page.status_code == 200 and "Tableau de bord" in page.text and "amina" in page.text
    assert client.post("/deconnexion", data={"csrf_token": token_of(page.text)}).status_code == 303
    assert client.get("/").headers["location"] == "/connexion"
    with ctx.engine.connect() as conn:
        assert conn.execute(select(operator_sessions)).all() == []


def test_the_cookie_is_secure_when_the_setting_is_on(ctx):
    operators.add_operator(ctx, "amina", "lecture", PASSWORD)
    ctx.settings = Settings(**{**ctx.settings.__dict__, "web_secure_cookies": True})
    assert "Secure" in sign_in(client_for(ctx), "amina").headers["set-cookie"]


def test_an_unknown_login_and_a_wrong_password_get_the_same_answer(ctx):
    operators.add_operator(ctx, "amina", "lecture", PASSWORD)
    client = client_for(ctx)
    unknown = sign_in(client, "personne")
    wrong = sign_in(client, "amina", "pas-le-bon-mot-de-passe")
    assert unknown.status_code == wrong.status_code == 401
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", unknown.text) == strip.sub("", wrong.text)
    assert "set-cookie" not in wrong.headers or "provisioner_session=" not in wrong.headers["set-cookie"]


def test_five_failed_sign_ins_lock_the_operator_for_30_minutes_even_with_the_right_password(ctx):
    operators.add_operator(ctx, "amina", "validation", PASSWORD)
    client = client_for(ctx)
    for _ in range(5):
        assert sign_in(client, "amina", "mauvais-mot-de-passe").status_code == 401
    assert sign_in(client, "amina").status_code == 401  # locked: the right password is refused too
    [listed] = operators.list_operators(ctx)
    assert listed["locked"] and listed["failed_logins"] == 5
    assert len(audit_rows(ctx.engine, "operator_locked")) == 1

    ctx.clock.now += timedelta(minutes=31)  # type: ignore[attr-defined]
    assert sign_in(client, "amina").status_code == 303
    assert operators.list_operators(ctx)[0]["failed_logins"] == 0


def test_an_admin_password_reset_lifts_the_lock(ctx):
    operators.add_operator(ctx, "amina", "validation", PASSWORD)
    client = client_for(ctx)
    for _ in range(5):
        sign_in(client, "amina", "mauvais-mot-de-passe")
    operators.reset_operator_password(ctx, "amina", "un-autre-mot-de-passe")
    assert sign_in(client, "amina", "un-autre-mot-de-passe").status_code == 303


def test_a_session_ends_after_30_idle_minutes_and_when_the_operator_is_disabled(ctx):
    client, _ = signed_in(ctx, "lecture")
    ctx.clock.now += timedelta(minutes=29)  # type: ignore[attr-defined]
    assert client.get("/").status_code == 200  # a request keeps it alive
    ctx.clock.now += timedelta(minutes=29)  # type: ignore[attr-defined]
    assert client.get("/").status_code == 200
    ctx.clock.now += timedelta(minutes=31)  # type: ignore[attr-defined]
    assert client.get("/").headers["location"] == "/connexion?fin=1"

    again, _ = signed_in(ctx, "lecture")
    operators.disable_operator(ctx, "lecture")
    assert again.get("/").headers["location"] == "/connexion?fin=1"
    assert sign_in(client_for(ctx), "lecture").status_code == 401


def test_the_sign_in_form_refuses_a_post_without_its_token(ctx):
    operators.add_operator(ctx, "amina", "lecture", PASSWORD)
    response = client_for(ctx).post("/connexion", data={"login": "amina", "password": PASSWORD})
    assert response.status_code == 403 and "provisioner_session=" not in response.headers.get("set-cookie", "")


def test_operator_logins_and_passwords_are_checked(ctx):
    with pytest.raises(operators.WeakPassword):
        operators.add_operator(ctx, "amina", "lecture", "court")
    with pytest.raises(operators.BadOperatorLogin):
        operators.add_operator(ctx, "a b", "lecture", PASSWORD)
    with pytest.raises(operators.ReservedLogin):
        operators.add_operator(ctx, "Agence", "admin", PASSWORD)
    with pytest.raises(operators.UnknownRole):
        operators.add_operator(ctx, "amina", "chef", PASSWORD)
    operators.add_operator(ctx, "amina", "lecture", PASSWORD)
    with pytest.raises(operators.OperatorExists):
        operators.add_operator(ctx, "AMINA", "admin", PASSWORD)
    with ctx.engine.connect() as conn:
        assert "argon2id" in conn.execute(select(operator_rows.c.password_hash)).scalar_one()
    assert all("hash" not in key for key in operators.list_operators(ctx)[0])


# -- acting, recorded: the store parts, on SQLite and PostgreSQL ----------------------------------

def test_approving_from_the_web_applies_the_request_and_records_the_operator(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    update_book(ctx, tmp_path, "maj.xlsx", delegue_values={"password": ADMIN_PASSWORD, "email": "new@albaraka.ma"})
    [waiting] = list_requests(ctx)
    client, token = signed_in(ctx, "validation")

    page = client.get("/demandes")
    assert f"Demande n° {waiting['id']}" in page.text and "new@albaraka.ma" in page.text
    response = client.post(f"/demandes/{waiting['id']}/approuver", data={"csrf_token": token, "motif": "Lettre reçue"})

    assert response.status_code == 200 and "approuvée" in response.text
    with ctx.engine.connect() as conn:
        assert conn.execute(select(adherents.c.delegue)).scalar_one()["email"] == "new@albaraka.ma"
        assert conn.execute(select(requests.c.status, requests.c.decided_by)).one() == ("approved", "validation")
    [row] = audit_rows(ctx.engine, "request_approved")
    assert row.actor == "validation" and row.target == f"request:{waiting['id']}"
    assert row.after["reason"] == "Lettre reçue" and row.at == ctx.clock()
    journal = client.get("/journal").text
    assert "demande approuvée" in journal and "Lettre reçue" in journal and "validation" in journal


def test_a_refusal_needs_a_reason_and_then_tells_the_delegate(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    update_book(ctx, tmp_path, "maj.xlsx", delegue_values={"password": ADMIN_PASSWORD, "email": "new@albaraka.ma"})
    [waiting] = list_requests(ctx)
    client, token = signed_in(ctx, "validation")

    blank = client.post(f"/demandes/{waiting['id']}/refuser", data={"csrf_token": token, "motif": "  "})
    assert blank.status_code == 400 and "Le motif est obligatoire" in blank.text
    assert list_requests(ctx)[0]["status"] == "waiting"

    refused = client.post(f"/demandes/{waiting['id']}/refuser",
                          data={"csrf_token": token, "motif": "Lettre non signée"})

    assert refused.status_code == 200 and "refusée" in refused.text
    assert list_requests(ctx) == []
    with ctx.engine.connect() as conn:
        body = conn.execute(select(mail_queue.c.body_text).where(mail_queue.c.kind == "request_decided")).scalar_one()
    assert "Lettre non signée" in body
    [row] = audit_rows(ctx.engine, "request_rejected")
    assert (row.actor, row.after["reason"]) == ("validation", "Lettre non signée")
    again = client.post(f"/demandes/{waiting['id']}/refuser", data={"csrf_token": token, "motif": "encore"})
    assert again.status_code == 409 and "déjà été traitée" in again.text


def test_a_post_without_the_right_csrf_token_changes_nothing(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    client, token = signed_in(ctx, "admin")
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": token + "x"}):
        response = client.post(f"/adherents/{NUMERO}/activer", data=data)
        assert response.status_code == 403 and "jeton de sécurité" in response.text
    assert list_adherents(ctx)[0]["status"] == "pending"
    assert audit_rows(ctx.engine, "activate") == []
    # Another operator's token is no good either.
    _other, other_token = signed_in(ctx, "validation")
    assert client.post(f"/adherents/{NUMERO}/activer", data={"csrf_token": other_token}).status_code == 403


def test_the_company_buttons_activate_unlock_and_reset_with_the_operator_recorded(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    client, token = signed_in(ctx, "validation")
    page = client.get(f"/adherents/{NUMERO}")
    assert "Valider l'abonnement" in html.unescape(page.text) and "en attente de validation" in page.text

    activated = client.post(f"/adherents/{NUMERO}/activer", data={"csrf_token": token})
    # The delegate's email is queued (it leaves at the service's next round): never « est prévenue ».
    assert activated.status_code == 200 and "en file d'attente" in html.unescape(activated.text)
    assert "est prévenue par email" not in html.unescape(activated.text)
    with ctx.engine.begin() as conn:
        conn.execute(update(adherents).values(failed_auth=5, locked_until=ctx.clock() + timedelta(minutes=30)))
    assert "bloqué" in client.get(f"/adherents/{NUMERO}").text
    unlocked = client.post(f"/adherents/{NUMERO}/debloquer", data={"csrf_token": token, "motif": "Appel du délégué"})
    assert unlocked.status_code == 200 and "5 échecs effacés" in unlocked.text
    reset = client.post(f"/adherents/{NUMERO}/reinitialiser-mot-de-passe",
                        data={"csrf_token": token, "confirmer": "oui"})
    assert reset.status_code == 200 and "hind.berrada@albaraka.ma" in reset.text

    assert [a["status"] for a in list_adherents(ctx)] == ["active"]
    for action in ("activate", "unlock", "admin_password_reset"):
        [row] = audit_rows(ctx.engine, action)
        assert row.actor == "validation" and row.target == NUMERO
    assert audit_rows(ctx.engine, "unlock")[0].after["reason"] == "Appel du délégué"
    shown = html.unescape(client.get(f"/adherents/{NUMERO}").text)
    assert "Appel du délégué" in shown and "actif" in shown and "Valider l'abonnement" not in shown
    assert "argon2" not in shown


# -- roles and pages: SQLite ---------------------------------------------------------------------

PAGES = ["/", "/soumissions", "/adherents", f"/adherents/{NUMERO}", "/demandes", "/comptes?q=ya", "/courriels",
         "/journal"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    """A company with a waiting request, a rejected submission and a failed email (built once: hashing is slow)."""
    tmp_path = tmp_path_factory.mktemp("store")
    engine = migrated_sqlite(tmp_path / "var" / "web.db")
    context = make_ctx(engine, tmp_path)
    subscribe(context, tmp_path, users={"compte_adherent": [user(f"yasmine{i}", "compte_adherent")
                                                             for i in range(6)]}, categories=[])
    subscriptions.activate(context, NUMERO)
    held = update_book(context, tmp_path, "maj.xlsx", users={},
                       delegue_values={"password": ADMIN_PASSWORD, "email": "new@albaraka.ma"})
    assert held.status == "accepted" and len(list_requests(context)) == 1, held.report["errors"]
    rejected = update_book(context, tmp_path, "faux.xlsx", users={"compte_adherent": [
        {"action": "Désactiver", "login": "inconnu.x"}]})
    assert rejected.status == "rejected"
    with engine.begin() as conn:
        conn.execute(update(mail_queue).where(mail_queue.c.kind == "rejected")
                     .values(status="failed", last_error="550 mailbox unavailable"))
    yield context
    context.hasher.close()
    engine.dispose()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_every_page_with_the_security_headers(store, role):
    client, _ = signed_in(store, role)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        csp = response.headers["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp and "style-src 'self'" in csp
        assert "<script" not in response.text and "style=" not in response.text
    operators_page = client.get("/operateurs")
    assert operators_page.status_code == (200 if role == "admin" else 403)
    assert ("Opérateurs</a>" in client.get("/").text) == (role == "admin")


def test_the_sign_in_page_and_the_stylesheet_have_their_headers(sqlite_ctx):
    client = client_for(sqlite_ctx)
    page = client.get("/connexion")
    assert page.status_code == 200 and "Connexion" in page.text and page.headers["x-frame-options"] == "DENY"
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


ACTIONS = {"validation": [f"/adherents/{NUMERO}/activer", f"/adherents/{NUMERO}/debloquer",
                          f"/adherents/{NUMERO}/reinitialiser-mot-de-passe", "/demandes/1/approuver",
                          "/demandes/1/refuser", "/courriels/1/renvoyer"],
           "admin": ["/operateurs", "/operateurs/lecture/desactiver", "/operateurs/lecture/mot-de-passe"]}


@pytest.mark.parametrize("role", ["lecture", "validation"])
def test_a_role_cannot_act_above_itself_and_a_stranger_is_sent_to_sign_in(store, role):
    client, token = signed_in(store, role)
    before = _audit_count(store.engine)
    refused = [path for needed, paths in ACTIONS.items() if needed != role and not (role == "validation"
                                                                                     and needed == "lecture")
               for path in paths]
    for path in refused:
        response = client.post(path, data={"csrf_token": token, "motif": "essai", "password": PASSWORD * 2,
                                           "confirmation": PASSWORD * 2, "login": "x1", "role": "admin"})
        assert response.status_code == 403 and "ne permet pas" in response.text, path
        assert client_for(store).post(path, data={}).headers["location"] == "/connexion"
    assert _audit_count(store.engine) == before
    assert list_requests(store)[0]["status"] == "waiting"


def _audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(audit.c.id).where(audit.c.action != "operator_add")).all())


def test_a_get_never_changes_anything(store):
    client, _ = signed_in(store, "admin")
    for path in (f"/adherents/{NUMERO}/debloquer", "/demandes/1/approuver", "/courriels/1/renvoyer"):
        assert client.get(path).status_code == 405
    assert list_requests(store)[0]["status"] == "waiting"


def test_the_pages_show_the_store(store):
    client, _ = signed_in(store, "validation")
    dashboard = client.get("/").text
    assert "Demandes à traiter" in dashboard and f"/adherents/{NUMERO}" in dashboard
    listing = client.get("/soumissions").text
    [rejected_id] = re.findall(r'href="/soumissions/(S[^"]+)">[^<]+</a></td>\s*<td class="long">faux.xlsx', listing)
    assert client.get("/soumissions?statut=rejected").text.count('href="/soumissions/S') == 1
    assert "faux.xlsx" not in client.get("/soumissions?adherent=999999").text
    assert "faux.xlsx" not in client.get("/soumissions?date=2001-01-01").text
    detail = client.get(f"/soumissions/{rejected_id}").text
    assert "USER_NOT_FOUND" in detail and "Bordereau annoté" in detail and "550 mailbox unavailable" not in detail
    assert "en échec" in detail  # its email
    annotated = client.get(f"/soumissions/{rejected_id}/fichiers/bordereau-annote.xlsx")
    assert annotated.status_code == 200 and annotated.content[:2] == b"PK"
    assert "attachment" in annotated.headers["content-disposition"]
    assert client.get(f"/soumissions/{rejected_id}/fichiers/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/soumissions/inconnue").status_code == 404
    assert client_for(store).get(f"/soumissions/{rejected_id}/fichiers/bordereau-annote.xlsx").status_code == 303

    company = client.get(f"/adherents/{NUMERO}").text
    assert "yasmine0" in company and "Boulangerie Al Baraka SARL" in company and "hind.berrada@albaraka.ma" in company
    assert "faux.xlsx" in company
    assert "Boulangerie" in client.get("/adherents?q=boul").text
    assert "Boulangerie" not in client.get("/adherents?q=zz").text
    assert client.get("/adherents/000000").status_code == 404
    found = client.get("/comptes?q=YASM").text
    assert found.count('class="mono">yasmine') == 6
    assert "au moins 2 caractères" in client.get("/comptes?q=y").text
    mails = client.get("/courriels").text
    assert "550 mailbox unavailable" in mails and "Renvoyer" in mails


def test_a_failed_email_is_queued_again_and_the_retry_recorded(store):
    client, token = signed_in(store, "validation")
    with store.engine.begin() as conn:
        mail_id = conn.execute(select(mail_queue.c.id).where(mail_queue.c.status == "pending",
                                                             mail_queue.c.kind.not_in(SECRET_KINDS))).scalar()
        assert mail_id is not None
        conn.execute(update(mail_queue).where(mail_queue.c.id == mail_id).values(status="failed", last_error="x"))
    response = client.post(f"/courriels/{mail_id}/renvoyer", data={"csrf_token": token})
    assert response.status_code == 200
    with store.engine.connect() as conn:
        assert conn.execute(select(mail_queue.c.status).where(mail_queue.c.id == mail_id)).scalar_one() == "pending"
    assert audit_rows(store.engine, "mail_retry")[0].actor == "validation"
    assert client.post(f"/courriels/{mail_id}/renvoyer", data={"csrf_token": token}).status_code == 409
    assert client.post("/courriels/999999/renvoyer", data={"csrf_token": token}).status_code == 404


def test_a_mass_deactivation_lists_the_accounts_it_would_disable(sqlite_ctx, tmp_path):
    subscribe(sqlite_ctx, tmp_path, users={"compte_adherent": [user(f"user{i}.ca", "compte_adherent")
                                                                for i in range(6)]}, categories=[])
    subscriptions.activate(sqlite_ctx, NUMERO)
    update_book(sqlite_ctx, tmp_path, "maj.xlsx", users={"compte_adherent": [
        {"action": "Désactiver", "login": f"user{i}.ca"} for i in range(5)]})
    client, _ = signed_in(sqlite_ctx, "lecture")
    page = client.get("/demandes").text
    assert "Comptes qui seraient désactivés" in page
    assert all(f"user{i}.ca" in page for i in range(5)) and "user5.ca" not in page
    assert "Approuver" not in page  # a reader sees, does not act


def test_an_admin_manages_operators_from_the_web(sqlite_ctx):
    client, token = signed_in(sqlite_ctx, "admin")
    mismatch = client.post("/operateurs", data={"csrf_token": token, "login": "said", "role": "lecture",
                                               "password": PASSWORD, "confirmation": PASSWORD + "x"})
    assert mismatch.status_code == 400 and "diffèrent" in mismatch.text
    weak = client.post("/operateurs", data={"csrf_token": token, "login": "said", "role": "lecture",
                                           "password": "court", "confirmation": "court"})
    assert weak.status_code == 400 and "12 à 128 caractères" in weak.text
    added = client.post("/operateurs", data={"csrf_token": token, "login": "said", "role": "lecture",
                                            "password": PASSWORD, "confirmation": PASSWORD})
    assert added.status_code == 200 and "said" in client.get("/operateurs").text
    said = client_for(sqlite_ctx)
    assert sign_in(said, "said").status_code == 303
    new = "nouveau-mot-de-passe-1"
    assert client.post("/operateurs/said/mot-de-passe", data={"csrf_token": token, "password": new,
                                                               "confirmation": new}).status_code == 200
    assert said.get("/").headers["location"] == "/connexion?fin=1"  # its session ended
    assert client.post("/operateurs/said/desactiver", data={"csrf_token": token, "confirmer": "oui"}).status_code == 200
    assert sign_in(client_for(sqlite_ctx), "said", new).status_code == 401
    confirmed = {"csrf_token": token, "confirmer": "oui"}
    assert client.post("/operateurs/personne/desactiver", data=confirmed).status_code == 404
    actions = [r.action for r in audit_rows(sqlite_ctx.engine, "operator_add")]
    assert actions == ["operator_add", "operator_add"]  # the admin itself, then said
    assert audit_rows(sqlite_ctx.engine, "operator_disable")[0].actor == "admin"
    journal = client.get("/journal?operateur=admin").text
    assert "opérateur ajouté" in journal and "opérateur désactivé" in journal and PASSWORD not in journal


def test_accounts_and_companies_are_found_by_prefix_ignoring_case_and_paged(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    with ctx.engine.begin() as conn:  # many accounts, inserted as rows: argon2id for each would take a minute
        company = conn.execute(select(adherents.c.id)).scalar_one()
        conn.execute(insert(accounts), [
            {"adherent_id": company, "teleservice": "compte_adherent", "login": f"yasmine{i:02d}",
             "login_key": f"yasmine{i:02d}", "nom": "Alaoui", "prenom": "Yasmine", "fonction": "RH",
             "email": f"y{i}@albaraka.ma", "password_hash": "not-a-hash"} for i in range(55)])
    first = search_accounts(ctx, "YASMINE")
    assert len(first.rows) == 50 and first.has_next
    assert [r["login"] for r in first.rows] == sorted(r["login"] for r in first.rows)
    second = search_accounts(ctx, "yasmine", page=2)
    assert [r["login"] for r in second.rows] == [f"yasmine{i}" for i in range(50, 55)] and not second.has_next
    assert [r["login"] for r in search_accounts(ctx, "y7@").rows] == ["yasmine07"]
    assert search_accounts(ctx, "%a").rows == [] and search_accounts(ctx, "_a").rows == []
    assert search_accounts(ctx, "x").extra == {"too_short": True}
    assert [a["numero"] for a in search_adherents(ctx, q="boulangerie").rows] == [NUMERO]
    assert [a["numero"] for a in search_adherents(ctx, q="1234").rows] == [NUMERO]
    assert search_adherents(ctx, q="99").rows == []


def test_pages_answer_while_the_pipeline_holds_the_sqlite_write_lock(sqlite_ctx):
    client, _ = signed_in(sqlite_ctx, "lecture")
    with sqlite_ctx.engine.begin() as writer:  # BEGIN IMMEDIATE, as a workbook's transaction does
        writer.execute(update(adherents).values(failed_auth=0))
        started = time.monotonic()
        for path in PAGES:
            assert client.get(path).status_code == (404 if path == f"/adherents/{NUMERO}" else 200), path
        assert time.monotonic() - started < 10  # the busy timeout is 30 s: no page waited for the writer
