"""The back office's error pages: French, in the site's layout, with their headers, logged once per fault."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.routing import Route

from provisioner.service.context import ServiceContext
from provisioner.store.db import make_engine
from provisioner.web import app as web_app
from tests.integration.test_web import client_for, make_ctx, signed_in, sqlite_ctx  # noqa: F401 (a fixture)


def assert_french_page(response, status: int, title: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text and '<html lang="fr">' in response.text
    assert 'href="/static/style.css"' in response.text  # the site's layout
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"
    assert "Traceback" not in response.text and "Internal Server Error" not in response.text


def test_an_unknown_page_is_a_french_404_signed_in_or_not(sqlite_ctx):
    assert_french_page(client_for(sqlite_ctx).get("/nulle-part"), 404, "Page introuvable")
    client, _ = signed_in(sqlite_ctx, "lecture")
    assert_french_page(client.get("/soumissions/x/y/z"), 404, "Page introuvable")


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/connexion", "GET, HEAD, POST"),  # two routes serve that path: both are in Allow
    ("DELETE", "/operateurs", "GET, HEAD, POST"),
    ("GET", "/deconnexion", "POST"),
    ("GET", "/operateurs/amina/desactiver", "POST"),
])
def test_a_wrong_method_is_a_french_405_with_every_allowed_method(sqlite_ctx, method, path, allow):
    response = client_for(sqlite_ctx).request(method, path)
    assert_french_page(response, 405, "Action impossible ici")
    assert response.headers["allow"] == allow


def test_a_role_too_low_is_a_french_403_in_the_layout(sqlite_ctx):
    client, _ = signed_in(sqlite_ctx, "lecture")
    response = client.get("/operateurs")
    assert response.status_code == 403 and "Accès refusé" in response.text and "Se déconnecter" in response.text


def test_a_bug_is_a_french_500_logged_in_one_line_without_traceback(sqlite_ctx, monkeypatch, caplog):
    def broken(request):
        raise KeyError("canari-secret-1234")

    monkeypatch.setattr(web_app, "routes", lambda: [Route("/casse", broken)])
    client = client_for(sqlite_ctx)
    with caplog.at_level(logging.ERROR, logger="provisioner.web.errors"):
        response = client.get("/casse")
    assert_french_page(response, 500, "Erreur interne")
    assert len(caplog.records) == 1, caplog.text
    record = caplog.records[0]
    assert record.exc_info is None and record.getMessage().startswith("back office: KeyError in ")
    assert "broken (test_web_errors.py:" in record.getMessage() and record.getMessage().endswith(" on GET /casse")
    assert "canari-secret-1234" not in caplog.text and "canari-secret-1234" not in response.text


@pytest.fixture
def unreachable_ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    """A back office whose PostgreSQL listens nowhere (port 9 of this host: nothing answers there)."""
    engine = make_engine("postgresql+psycopg://provisioner@127.0.0.1:9/provisioner?connect_timeout=2")
    context = make_ctx(engine, tmp_path)
    yield context
    context.hasher.close()
    engine.dispose()


def test_with_the_database_down_every_page_is_a_french_503_logged_once(unreachable_ctx, caplog):
    client = client_for(unreachable_ctx)
    assert client.get("/connexion").status_code == 200  # the form itself needs no database
    with caplog.at_level(logging.INFO, logger="provisioner.web.errors"):
        answers = [client.get(path, cookies={"provisioner_session": "x" * 40})
                   for path in ("/", "/soumissions", "/connexion", "/adherents/123456")]
        answers.append(client.post("/connexion", data={"login": "amina", "password": "x", "csrf_token": "t"},
                                   cookies={"provisioner_login_csrf": "t"}))
    for response in answers:
        assert_french_page(response, 503, "Service momentanément indisponible")
        assert "Base de données injoignable" in response.text and response.headers["retry-after"] == "60"
    assert len(caplog.records) == 1, caplog.text
    assert "database cannot be reached" in caplog.records[0].getMessage()
    assert caplog.records[0].exc_info is None


def test_the_end_of_a_database_fault_is_logged_once_too(sqlite_ctx, caplog):
    client = client_for(sqlite_ctx)
    real = sqlite_ctx.engine
    with real.begin() as conn:  # the store goes away under the running app, then comes back
        conn.execute(text("ALTER TABLE operator_sessions RENAME TO gone"))
    with caplog.at_level(logging.WARNING, logger="provisioner.web.errors"):
        down = client.get("/", cookies={"provisioner_session": "x" * 40})
        client.get("/", cookies={"provisioner_session": "x" * 40})
        with real.begin() as conn:
            conn.execute(text("ALTER TABLE gone RENAME TO operator_sessions"))
        back = client.get("/", cookies={"provisioner_session": "x" * 40})
    assert down.status_code == 503 and back.status_code == 303
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "back office: the database cannot be reached", "back office: the database answers again"]
