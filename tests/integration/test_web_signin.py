"""Signing in to the back office as an attacker would try it: limits per address, session ends, redirects,
cookies and headers (the store parts on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from provisioner.config import ConfigError, load_settings
from provisioner.service.agence import operators
from provisioner.service.context import ServiceContext
from provisioner.store.tables import sign_in_failures
from provisioner.web.app import create_app
from provisioner.web.guard import local_path
from tests.integration.test_web import (  # noqa: F401 (ctx, sqlite_ctx: fixtures)
    PASSWORD,
    client_for,
    ctx,
    sign_in,
    signed_in,
    sqlite_ctx,
    token_of,
)


def with_settings(ctx: ServiceContext, **values) -> ServiceContext:
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, **values))


def test_failures_past_the_limit_from_one_address_get_a_french_429_before_any_password_check(ctx):
    ctx = with_settings(ctx, web_signin_per_ip=3)
    operators.add_operator(ctx, "amina", "admin", PASSWORD)
    client = client_for(ctx)
    for attempt in range(3):
        assert sign_in(client, f"personne{attempt}", "mauvais-mot-de-passe").status_code == 401
    refused = sign_in(client, "amina")  # the right password too: the address waits
    assert refused.status_code == 429 and "Trop de connexions échouées depuis cette adresse" in refused.text
    assert "attendez 15 minutes" in refused.text and '<html lang="fr">' in refused.text
    # The count is in the store: another process (a new app) sees it too.
    assert sign_in(client_for(ctx), "amina").status_code == 429
    # The operator's own counter was not touched by the refused tries: no lock-out by proxy.
    assert next(o for o in operators.list_operators(ctx) if o["login"] == "amina")["failed_logins"] == 0
    ctx.clock.now += timedelta(minutes=15, seconds=1)
    assert sign_in(client, "amina").status_code == 303
    with ctx.engine.connect() as conn:  # failures past the window are forgotten as new ones come
        sign_in(client_for(ctx), "x", "y")
        assert conn.execute(select(func.count()).select_from(sign_in_failures)).scalar_one() == 1


def test_a_forwarded_address_counts_only_from_the_configured_proxy(sqlite_ctx):
    limited = with_settings(sqlite_ctx, web_signin_per_ip=2)
    direct = client_for(limited)
    for _ in range(2):  # from an untrusted peer, X-Forwarded-For is ignored: the peer is counted
        direct.headers["x-forwarded-for"] = f"10.0.0.{_}"
        sign_in(direct, "x", "mauvais-mot-de-passe")
    assert sign_in(direct, "x", "y").status_code == 429
    # The proxy's setting takes networks, as the portal's does; the test client's peer is put inside one
    # (Starlette's TestClient is "testclient" by default, which is no address).
    proxied = with_settings(sqlite_ctx, web_signin_per_ip=2, web_trusted_proxy="198.18.0.9, 192.0.2.0/24")
    one, other = behind_proxy(proxied), behind_proxy(proxied)
    one.headers["x-forwarded-for"] = "203.0.113.9, 198.51.100.7"  # the proxy appended the last one
    other.headers["x-forwarded-for"] = "198.51.100.8"
    for _ in range(2):
        sign_in(one, "x", "mauvais-mot-de-passe")
    assert sign_in(one, "x", "y").status_code == 429
    assert sign_in(other, "x", "y").status_code == 401  # another client behind the same proxy


def test_a_client_line_before_the_proxys_own_x_forwarded_for_line_is_not_believed(sqlite_ctx):
    # HAProxy adds a line of its own after the client's: the last address of all lines is the client,
    # whatever the client wrote in the first (before, the first line alone was read).
    client = behind_proxy(with_settings(sqlite_ctx, web_signin_per_ip=2, web_trusted_proxy="192.0.2.1"))
    statuses = []
    for spoofed in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        form = client.get("/connexion").text
        statuses.append(client.post("/connexion", data={"login": "x", "password": "y", "csrf_token": token_of(form)},
                                    headers=[("x-forwarded-for", spoofed), ("x-forwarded-for", "203.0.113.5")]
                                    ).status_code)
    assert statuses == [401, 401, 429]


def test_a_trusted_proxy_that_is_no_address_is_refused_at_start(sqlite_ctx):
    with pytest.raises(ConfigError, match="PROVISIONER_WEB_TRUSTED_PROXY"):
        create_app(with_settings(sqlite_ctx, web_trusted_proxy="192.0.2.1, testclient"))


def behind_proxy(ctx: ServiceContext) -> TestClient:
    """A client whose peer is the reverse proxy 192.0.2.1."""
    return TestClient(create_app(ctx), follow_redirects=False, client=("192.0.2.1", 50000))


def test_a_session_ends_12_hours_after_sign_in_however_busy(ctx):
    client, _ = signed_in(ctx, "lecture")
    for _ in range(36):  # a page every 20 minutes: never idle
        ctx.clock.now += timedelta(minutes=20)
        assert client.get("/soumissions").status_code == 200
    ctx.clock.now += timedelta(minutes=1)
    ended = client.get("/soumissions?page=2")
    assert ended.status_code == 303
    target = urlsplit(ended.headers["location"])
    assert target.path == "/connexion"
    assert parse_qs(target.query) == {"fin": ["1"], "suivant": ["/soumissions?page=2"]}
    form = client.get(ended.headers["location"]).text
    assert "Votre session a pris fin" in form and 'name="suivant" value="/soumissions?page=2"' in form
    back = client.post("/connexion", data={"login": "lecture", "password": PASSWORD, "csrf_token": token_of(form),
                                           "suivant": "/soumissions?page=2"})
    assert back.status_code == 303 and back.headers["location"] == "/soumissions?page=2"


def test_the_idle_limit_counts_from_the_last_request_to_the_minute(ctx):
    client, _ = signed_in(ctx, "lecture")
    ctx.clock.now += timedelta(seconds=40)  # a request soon after sign-in still moves the idle clock
    assert client.get("/").status_code == 200
    ctx.clock.now += timedelta(minutes=29, seconds=50)
    assert client.get("/").status_code == 200
    ctx.clock.now += timedelta(minutes=30, seconds=30)
    assert client.get("/").headers["location"].startswith("/connexion?fin=1")


@pytest.mark.parametrize("name", ["web_idle_minutes", "web_session_hours", "web_signin_per_ip"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_the_service_refuses_a_session_limit_of_zero_or_less(name, value):
    with pytest.raises(ConfigError, match=f"PROVISIONER_{name.upper()}"):
        load_settings({f"PROVISIONER_{name.upper()}": value})


@pytest.mark.parametrize(("given", "kept"), [
    ("/soumissions?page=2", "/soumissions?page=2"), ("/adherents/123456", "/adherents/123456"),
    ("//evil.example/x", ""), ("https://evil.example/", ""), ("/\\evil.example", ""), ("\\\\evil.example", ""),
    ("javascript:alert(1)", ""), ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"), ("/a\r\nb", ""), ("", ""),
])
def test_only_a_path_of_this_site_is_followed_after_sign_in(sqlite_ctx, given, kept):
    assert local_path(given) == kept
    operators.add_operator(sqlite_ctx, "amina", "lecture", PASSWORD)
    client = client_for(sqlite_ctx)
    form = client.get("/connexion", params={"suivant": given}).text
    answer = client.post("/connexion", data={"login": "amina", "password": PASSWORD, "csrf_token": token_of(form),
                                             "suivant": given})
    assert answer.status_code == 303 and answer.headers["location"] == (kept or "/")


def test_the_sign_in_form_keeps_the_login_typed_after_a_failure(sqlite_ctx):
    refused = sign_in(client_for(sqlite_ctx), "amina.b", "mauvais-mot-de-passe")
    assert refused.status_code == 401 and 'name="login" id="login" value="amina.b"' in refused.text
    assert "mauvais-mot-de-passe" not in refused.text


def test_a_post_from_another_site_is_refused_whatever_its_token(sqlite_ctx):
    client, token = signed_in(sqlite_ctx, "admin")
    operators.add_operator(sqlite_ctx, "said", "lecture", PASSWORD)
    for header in ({"origin": "https://evil.example"}, {"origin": "null"},
                   {"referer": "https://evil.example/page"}):
        refused = client.post("/operateurs/said/desactiver", data={"csrf_token": token}, headers=header)
        assert refused.status_code == 403 and "depuis une page de ce site" in refused.text
        signin = client_for(sqlite_ctx).post("/connexion", data={"login": "said"}, headers=header)
        assert signin.status_code == 403 and "depuis une page de ce site" in signin.text
    assert next(o for o in operators.list_operators(sqlite_ctx) if o["login"] == "said")["active"]
    ours = client.post("/operateurs/said/desactiver", data={"csrf_token": token, "confirmer": "oui"},
                       headers={"origin": "http://testserver"})
    assert ours.status_code == 200 and not next(
        o for o in operators.list_operators(sqlite_ctx) if o["login"] == "said")["active"]


def test_secure_cookies_bring_the_host_prefix_and_hsts(sqlite_ctx):
    operators.add_operator(sqlite_ctx, "amina", "lecture", PASSWORD)
    plain = client_for(sqlite_ctx).get("/connexion")
    assert "strict-transport-security" not in plain.headers
    assert "camera=()" in plain.headers["permissions-policy"]
    secure = with_settings(sqlite_ctx, web_secure_cookies=True)
    client = client_for(secure)
    form = client.get("/connexion")
    assert form.headers["strict-transport-security"].startswith("max-age=31536000")
    assert form.headers["set-cookie"].startswith("__Host-provisioner_login_csrf=")
    assert "secure" in form.headers["set-cookie"].lower() and "Domain" not in form.headers["set-cookie"]
    answer = client.post("/connexion", data={"login": "amina", "password": PASSWORD, "csrf_token": token_of(form.text)},
                         cookies={"__Host-provisioner_login_csrf": form.cookies["__Host-provisioner_login_csrf"]})
    assert answer.status_code == 303
    cookie = answer.headers.get_list("set-cookie")
    assert any(c.startswith("__Host-provisioner_session=") and "Path=/" in c and "Secure" in c for c in cookie)
