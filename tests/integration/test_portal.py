"""The companies' portal through Starlette's test client, on a real store (SQLite; the counters on PostgreSQL too).

Every route and every refusal: the home page and its template, the CSRF
double submit, the upload read as a counted stream (413), the hourly limit
per address (429), the store-free check with its annotated copy kept an
hour, and a French 503 when the database is gone. Workbooks are real `.xlsx`
files from tests/factory.py carrying canaries in every secret cell: no page
and no file the portal gives back may hold one.
"""

from __future__ import annotations

import html
import io
import os
import re
import secrets
import string
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from provisioner.config import Settings
from provisioner.portal.app import create_portal_app
from provisioner.security.hashing import Hasher
from provisioner.service.context import ServiceContext
from provisioner.store.db import make_engine, upgrade
from provisioner.store.tables import portal_counters, portal_tokens, utcnow
from tests.factory import QA, delegue, make_workbook, user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TEMPLATE = Path(__file__).parents[2] / "templates" / "bordereau-teleservices.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> Any:
        return self.now


def canary() -> str:
    """A valid password (5 to 10 letters and digits) nobody else writes."""
    return "Zq" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))


def portal_ctx(tmp_path: Path, engine: Engine, **settings: Any) -> ServiceContext:
    values: dict[str, Any] = {"outbox": tmp_path / "outbox", "inbox": tmp_path / "inbox", "var_dir": tmp_path / "var",
                              "hash_workers": 1, **settings}
    return ServiceContext(Settings(database_url=str(engine.url), **values), engine, Hasher(1), clock=Clock())


def sqlite_store(tmp_path: Path) -> Engine:
    (tmp_path / "var").mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{(tmp_path / 'var' / 'portal.db').as_posix()}")
    upgrade(engine)
    return engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    return sqlite_store(tmp_path)


def client_for(ctx: ServiceContext) -> TestClient:
    return TestClient(create_portal_app(ctx), base_url="http://testserver")


@pytest.fixture
def ctx(tmp_path: Path, sqlite_engine: Engine) -> Iterator[ServiceContext]:
    context = portal_ctx(tmp_path, sqlite_engine)
    yield context
    context.close()


@pytest.fixture
def client(ctx: ServiceContext) -> TestClient:
    return client_for(ctx)


def token(client: TestClient) -> str:
    found = CSRF.search(client.get("/").text)
    assert found is not None
    return found.group(1)


def post_file(client: TestClient, url: str, path: Path, *, csrf: str | None = None) -> Any:
    data = {"csrf_token": token(client) if csrf is None else csrf}
    with path.open("rb") as handle:
        return client.post(url, data=data, files={"fichier": (path.name, handle, XLSX)}, follow_redirects=False)


@pytest.fixture
def secrets_typed() -> dict[str, str]:
    return {"admin": canary(), "user": canary(), "answer": canary()}


def faulty_workbook(path: Path, typed: dict[str, str]) -> Path:
    """An Abonnement with a malformed user email, canaries in every secret cell."""
    qa = {**QA, "answer1": typed["answer"]}
    return make_workbook(path, delegue_values=delegue(password=typed["admin"], password_confirm=typed["admin"]),
                         users={"td_interne": [user("hind.td", email="pas-une-adresse", password=typed["user"],
                                                    password_confirm=typed["user"], **qa)]})


def unzipped_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def assert_no_secret(text: str, typed: dict[str, str]) -> None:
    for name, value in typed.items():
        assert value not in text, f"the {name} canary leaked"


# -- GET / and the template ---------------------------------------------------------------

def test_home_page_gives_three_steps_the_forms_and_the_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert page.count("<li><h2>") == 3 and "Remplissez le bordereau" in page and "Envoyez-le" in page
    assert 'action="/verifier"' in page and 'action="/envoyer"' in page and 'action="/classeur-prerempli"' in page
    assert 'name="viewport"' in page and "<script" not in page
    headers = response.headers
    assert "default-src 'none'" in headers["content-security-policy"] and "script-src" not in headers[
        "content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin" and headers["cache-control"] == "no-store"
    cookie = headers["set-cookie"]
    assert cookie.startswith("portail_csrf=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert CSRF.search(page).group(1) in cookie  # type: ignore[union-attr]


def test_behind_https_the_csrf_cookie_is_host_prefixed_and_secure(tmp_path: Path, sqlite_engine: Engine) -> None:
    client = client_for(portal_ctx(tmp_path, sqlite_engine, web_secure_cookies=True))
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith("__Host-portail_csrf=") and "Secure" in cookie and "Path=/" in cookie


def test_the_blank_template_is_the_committed_file(client: TestClient) -> None:
    response = client.get("/modele.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert 'filename="bordereau-teleservices.xlsx"' in response.headers["content-disposition"]
    assert response.content == TEMPLATE.read_bytes()


def test_the_portal_serves_none_of_the_back_office(client: TestClient) -> None:
    for path in ("/connexion", "/soumissions", "/adherents", "/operateurs", "/journal"):
        response = client.get(path)
        assert response.status_code == 404 and "Page introuvable" in response.text, path
    assert client.post("/connexion", data={"login": "amina"}).status_code == 404
    assert client.get("/verifier").status_code == 405
    assert client.get("/static/style.css").status_code == 200  # the shared stylesheet, by code
    assert client.get("/static/portail.css").status_code == 200


# -- POST /verifier -----------------------------------------------------------------------

def test_verifier_lists_each_finding_at_its_cell_and_keeps_the_annotated_copy_an_hour(
        client: TestClient, ctx: ServiceContext, tmp_path: Path, secrets_typed: dict[str, str]) -> None:
    response = post_file(client, "/verifier", faulty_workbook(tmp_path / "bordereau.xlsx", secrets_typed))
    assert response.status_code == 200, response.text
    page = response.text
    assert "1 erreur à corriger" in page and "ce bordereau serait refusé" in page
    assert "Télédéclaration interne" in page and "INVALID_FORMAT" in page
    assert re.search(r'<td class="mono" data-label="Cellule">J2</td>', page), "the faulty email's cell"
    assert response.headers["x-robots-tag"] == "noindex, nofollow" and response.headers["cache-control"] == "no-store"
    assert_no_secret(page, secrets_typed)
    link = re.search(r'href="(/verification/([^/"]+)/classeur-annote\.xlsx)"', page)
    assert link is not None and len(link.group(2)) >= 22  # ≥ 128 bits, URL-safe base 64
    copy = client.get(link.group(1))
    assert copy.status_code == 200 and copy.headers["content-type"] == XLSX
    assert copy.headers["cache-control"] == "no-store"
    text = unzipped_text(copy.content)
    assert "Anomalies" in text and "pas-une-adresse" in text  # the person's values, where they were
    assert_no_secret(text, secrets_typed)
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(portal_tokens.c.token_hash, portal_tokens.c.content)).one()
    assert link.group(2) not in stored.token_hash and b"Anomalies" not in stored.content  # hashed, encrypted
    ctx.clock.now += timedelta(minutes=61)  # type: ignore[attr-defined]
    expired = client.get(link.group(1))
    assert expired.status_code == 404 and "plus d'une heure" in html.unescape(expired.text)


def test_verifier_of_a_valid_workbook_says_it_can_be_sent_and_keeps_nothing(
        client: TestClient, ctx: ServiceContext, tmp_path: Path) -> None:
    response = post_file(client, "/verifier", make_workbook(tmp_path / "ok.xlsx"))
    assert response.status_code == 200 and "Aucune erreur" in response.text
    assert "classeur-annote" not in response.text
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(portal_tokens)).scalar() == 0
    assert list((ctx.settings.var_dir / "portal").iterdir()) == []  # the upload is gone


def test_a_file_that_is_no_workbook_gets_its_finding_not_a_traceback(client: TestClient, tmp_path: Path) -> None:
    odd = tmp_path / "notes.xlsx"
    odd.write_bytes(b"name;password\nali;secret\n")
    response = post_file(client, "/verifier", odd)
    assert response.status_code == 200 and "FILE_TYPE" in response.text and "Traceback" not in response.text


def test_an_unknown_or_malformed_jeton_is_a_french_404(client: TestClient) -> None:
    for jeton in ("x", "A" * 43, "%C3%A9" * 30):
        response = client.get(f"/verification/{jeton}/classeur-annote.xlsx")
        assert response.status_code == 404 and "Lien expiré ou inconnu" in response.text


# -- refusals -------------------------------------------------------------------------------

def assert_refused_and_nothing_kept(response: Any, status: int, words: str, ctx: ServiceContext) -> None:
    assert response.status_code == status, response.text
    assert words in html.unescape(response.text) and '<html lang="fr">' in response.text
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(portal_tokens)).scalar() == 0
    folder = ctx.settings.var_dir / "portal"
    assert not folder.exists() or list(folder.iterdir()) == []


UPLOADS = ("/verifier", "/envoyer")


@pytest.mark.parametrize("url", UPLOADS)
def test_a_post_without_its_csrf_token_does_nothing(client: TestClient, ctx: ServiceContext, tmp_path: Path,
                                                    url: str) -> None:
    path = make_workbook(tmp_path / "b.xlsx")
    for csrf in ("", "a-forged-token-of-another-site-123456"):
        assert_refused_and_nothing_kept(post_file(client, url, path, csrf=csrf), 403, "Formulaire expiré", ctx)


@pytest.mark.parametrize("url", UPLOADS)
def test_a_body_past_the_size_limit_is_refused_with_413(tmp_path: Path, sqlite_engine: Engine, url: str) -> None:
    ctx = portal_ctx(tmp_path, sqlite_engine, max_file_mb=0.01)  # 10 KB: the factory's workbook is larger
    client = client_for(ctx)
    path = make_workbook(tmp_path / "b.xlsx")
    assert path.stat().st_size > 10_486
    assert_refused_and_nothing_kept(post_file(client, url, path), 413, "Fichier trop volumineux", ctx)


def test_a_streamed_body_without_length_is_counted_and_refused(tmp_path: Path, sqlite_engine: Engine) -> None:
    ctx = portal_ctx(tmp_path, sqlite_engine, max_file_mb=0.01)
    client = client_for(ctx)
    csrf = token(client)
    boundary = "XyZ"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="big.xlsx"\r\n\r\n').encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what comes
        yield head
        for _ in range(200):
            yield b"PK" * 512

    response = client.post("/verifier", content=chunks(),
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert_refused_and_nothing_kept(response, 413, "Fichier trop volumineux", ctx)


def test_one_file_per_request_and_a_file_at_all(client: TestClient, ctx: ServiceContext, tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "b.xlsx")
    data = path.read_bytes()
    two = client.post("/verifier", data={"csrf_token": token(client)},
                      files=[("fichier", ("a.xlsx", data, XLSX)), ("fichier", ("b.xlsx", data, XLSX))])
    assert_refused_and_nothing_kept(two, 400, "Envoi illisible", ctx)
    none = client.post("/verifier", data={"csrf_token": token(client)}, files={"fichier": ("vide.xlsx", b"", XLSX)})
    assert_refused_and_nothing_kept(none, 400, "Aucun fichier", ctx)
    urlencoded = client.post("/verifier", data={"csrf_token": token(client)})
    assert_refused_and_nothing_kept(urlencoded, 400, "Envoi illisible", ctx)


def test_past_the_hourly_uploads_of_an_address_it_is_429_until_the_next_hour(
        tmp_path: Path, sqlite_engine: Engine) -> None:
    ctx = portal_ctx(tmp_path, sqlite_engine, portal_uploads_per_hour=2)
    client = client_for(ctx)
    path = make_workbook(tmp_path / "b.xlsx")
    assert [post_file(client, url, path).status_code for url in UPLOADS] == [200, 303]  # one count for both
    for url in UPLOADS:
        refused = post_file(client, url, path)
        assert refused.status_code == 429 and "Trop d'envois" in html.unescape(refused.text)
    ctx.clock.now += timedelta(hours=1)  # type: ignore[attr-defined]
    assert post_file(client, "/verifier", path).status_code == 200


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy(tmp_path: Path, sqlite_engine: Engine) -> None:
    ctx = portal_ctx(tmp_path, sqlite_engine, portal_uploads_per_hour=1, portal_trusted_proxies="127.0.0.0/8")
    client = TestClient(create_portal_app(ctx), client=("127.0.0.1", 50000))
    path = make_workbook(tmp_path / "b.xlsx")
    for address in ("198.51.100.7", "198.51.100.8"):  # two clients behind the proxy: one upload each
        client.headers["x-forwarded-for"] = f"6.6.6.6, {address}"
        assert post_file(client, "/verifier", path).status_code == 200
    assert post_file(client, "/verifier", path).status_code == 429
    untrusted = TestClient(create_portal_app(ctx), client=("203.0.113.9", 50000))
    untrusted.headers["x-forwarded-for"] = "198.51.100.99"  # not from the proxy: the peer is counted
    assert post_file(untrusted, "/verifier", path).status_code == 200
    assert post_file(untrusted, "/verifier", path).status_code == 429


def test_with_the_database_gone_a_french_503_and_nothing_kept(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'absent' / 'x.db').as_posix()}")  # its folder does not exist
    ctx = portal_ctx(tmp_path, engine)
    client = client_for(ctx)
    assert client.get("/").status_code == 200  # the page itself needs no database
    response = post_file(client, "/verifier", make_workbook(tmp_path / "b.xlsx"))
    assert response.status_code == 503 and "momentanément indisponible" in response.text
    assert not (tmp_path / "var" / "portal").exists()


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_counters_and_jetons_are_shared_by_every_portal_on_the_store(db: str, request: pytest.FixtureRequest,
                                                              tmp_path: Path) -> None:
    from provisioner.store.portal import add_token, find_token, take_hit

    url = request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_url")
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    # Two engines: two portals.
    other = make_engine(url)
    taken = [take_hit(e, "upload:192.0.2.1", limit=3, window=timedelta(hours=1), now=now)
             for e in (engine, other, engine, other)]
    assert taken == [True, True, True, False]
    with engine.connect() as conn:
        assert conn.execute(select(portal_counters.c.hits)).scalar() == 3
    add_token(engine, "jeton-de-test-" + "x" * 30, kind="verification", name="b.xlsx", content=b"\x00PK\xff",
              now=now, lifetime=timedelta(hours=1))
    found = find_token(other, "jeton-de-test-" + "x" * 30, "verification", now, with_content=True)
    assert found is not None and found.content == b"\x00PK\xff" and found.name == "b.xlsx"
    assert find_token(other, "jeton-de-test-" + "x" * 30, "verification", now + timedelta(hours=2)) is None
    engine.dispose()
    other.dispose()


def test_an_upload_left_by_a_killed_process_is_swept_by_the_next_one(
        client: TestClient, ctx: ServiceContext, tmp_path: Path) -> None:
    folder = ctx.settings.var_dir / "portal"
    folder.mkdir(parents=True)
    stale, fresh = folder / ".upload-killed", folder / ".upload-in-progress"
    for path in (stale, fresh):
        path.write_bytes(b"PK half an upload")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert post_file(client, "/verifier", make_workbook(tmp_path / "b.xlsx")).status_code == 200
    assert sorted(p.name for p in folder.iterdir()) == [fresh.name]  # another request's file is left alone
