"""Every refusal of the portal is a French page that keeps nothing: CSRF (403), the size counted on the stream
(413), one file per request (400), the hourly limit per address, believed from a trusted proxy only (429), the
database gone (503); the counters and jetons shared by every portal on the store (SQLite and PostgreSQL).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from httpx import Response
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from provisioner.portal import upload
from provisioner.portal.app import create_portal_app
from provisioner.service.context import ServiceContext
from provisioner.store.db import make_engine, upgrade
from provisioner.store.tables import portal_counters, utcnow
from tests.factory import make_workbook
from tests.portal_support import (
    XLSX,
    assert_refused_and_nothing_kept,
    client_for,
    portal_ctx,
    post_file,
    raw_form,
    token,
)

UPLOADS = ("/verifier", "/envoyer")


@pytest.mark.parametrize("url", UPLOADS)
def test_a_post_without_its_csrf_token_does_nothing(portal_client: TestClient, portal: ServiceContext, tmp_path: Path,
                                                    url: str) -> None:
    path = make_workbook(tmp_path / "b.xlsx")
    for csrf in ("", "a-forged-token-of-another-site-123456"):
        refused = post_file(portal_client, url, path, csrf=csrf)
        assert_refused_and_nothing_kept(refused, 403, "Formulaire expiré", portal)


def test_a_tossed_cookie_opens_no_form(tmp_path: Path, portal_store: Engine) -> None:
    # A sibling subdomain writes its own portail_csrf cookie and posts a form carrying the same value.
    path = make_workbook(tmp_path / "b.xlsx")
    tossed = "t" * 43
    plain = client_for(portal_ctx(tmp_path, portal_store))
    plain.cookies.set("portail_csrf", tossed)
    with path.open("rb") as handle:
        posted = plain.post("/verifier", data={"csrf_token": tossed}, files={"fichier": ("b.xlsx", handle, XLSX)},
                            headers={"sec-fetch-site": "same-site"})
    assert posted.status_code == 403  # (before: 200) the browser says where the form came from
    assert post_file(plain, "/verifier", path, csrf=tossed).status_code == 200  # a browser that does not say
    secure = TestClient(create_portal_app(portal_ctx(tmp_path / "s", portal_store, web_secure_cookies=True)),
                        base_url="https://testserver")
    secure.cookies.set("portail_csrf", tossed)  # behind HTTPS only the __Host- cookie counts
    assert post_file(secure, "/verifier", path, csrf=tossed).status_code == 403


@pytest.mark.parametrize("url", UPLOADS)
def test_a_body_past_the_size_limit_is_refused_with_413(tmp_path: Path, portal_store: Engine, url: str) -> None:
    ctx = portal_ctx(tmp_path, portal_store, max_file_mb=0.01)  # 10 KB: the factory's workbook is larger
    client = client_for(ctx)
    path = make_workbook(tmp_path / "b.xlsx")
    assert path.stat().st_size > 10_486
    assert_refused_and_nothing_kept(post_file(client, url, path), 413, "Fichier trop volumineux", ctx)


def test_a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_413(tmp_path: Path, portal_store: Engine) -> None:
    ctx = portal_ctx(tmp_path, portal_store, max_file_mb=0.01)
    client = client_for(ctx)
    sizes = {}
    for size in (ctx.max_bytes, ctx.max_bytes + 1):
        content, content_type = raw_form(token(client), b"P" * size)
        response = client.post("/verifier", content=content, headers={"content-type": content_type})
        sizes[size] = (response.status_code, "FILE_UNREADABLE" in response.text)  # read: its finding
    assert sizes == {ctx.max_bytes: (200, True), ctx.max_bytes + 1: (413, False)}


def test_a_streamed_body_without_length_is_counted_and_refused(tmp_path: Path, portal_store: Engine) -> None:
    ctx = portal_ctx(tmp_path, portal_store, max_file_mb=0.01)
    client = client_for(ctx)
    head, content_type = raw_form(token(client), b"", closed=False)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what comes
        yield head
        for _ in range(200):
            yield b"PK" * 512

    response = client.post("/verifier", content=chunks(), headers={"content-type": content_type})
    assert_refused_and_nothing_kept(response, 413, "Fichier trop volumineux", ctx)


@pytest.mark.parametrize("url", UPLOADS)
def test_a_body_cut_short_before_its_closing_boundary_is_refused(portal_client: TestClient, portal: ServiceContext,
                                                                 tmp_path: Path, url: str) -> None:
    # A phone losing its connection mid-upload, behind a proxy that forwards what it got: the CSRF field is
    # whole, half the workbook is there, the multipart end never comes. (Before: checked, or sent, as a file.)
    data = make_workbook(tmp_path / "b.xlsx").read_bytes()
    content, content_type = raw_form(token(portal_client), data[:len(data) // 2], closed=False)
    response = portal_client.post(url, content=content, headers={"content-type": content_type})
    assert_refused_and_nothing_kept(response, 400, "Envoi illisible", portal)


@pytest.mark.parametrize("url", UPLOADS)
def test_a_body_that_stalls_is_refused_with_408_and_nothing_kept(portal_client: TestClient, portal: ServiceContext,
                                                                url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A slow client (or a slowloris) sends the form's start, then nothing: the request must end, its temporary
    # file with it. (Before: the portal waited for the rest for ever.) The ASGI app is called directly: the
    # test client reads a body whole before the application sees it.
    monkeypatch.setattr(upload, "IDLE_SECONDS", 0.2)
    csrf = token(portal_client)
    content, content_type = raw_form(csrf, b"PK\x03\x04", closed=False)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": url, "raw_path": url.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()),
                         (b"cookie", f"portail_csrf={csrf}".encode())],
             "client": ("192.0.2.1", 50000), "server": ("testserver", 80)}
    sent: list[dict[str, object]] = []
    first = [{"type": "http.request", "body": content, "more_body": True}]

    async def receive() -> dict[str, object]:
        if first:
            return first.pop()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def call() -> None:
        with anyio.fail_after(30):  # a guard, not a measure: without the refusal the call never ends
            await create_portal_app(portal)(scope, receive, send)  # type: ignore[arg-type]

    anyio.run(call)
    assert sent[0]["status"] == 408
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    assert_refused_and_nothing_kept(Response(408, html=body.decode()), 408, "Envoi interrompu", portal)


def test_one_file_per_request_and_a_file_at_all(portal_client: TestClient, portal: ServiceContext,
                                                tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "b.xlsx")
    data = path.read_bytes()
    two = portal_client.post("/verifier", data={"csrf_token": token(portal_client)},
                      files=[("fichier", ("a.xlsx", data, XLSX)), ("fichier", ("b.xlsx", data, XLSX))])
    assert_refused_and_nothing_kept(two, 400, "Envoi illisible", portal)
    none = portal_client.post("/verifier", data={"csrf_token": token(portal_client)},
                              files={"fichier": ("vide.xlsx", b"", XLSX)})
    assert_refused_and_nothing_kept(none, 400, "Aucun fichier", portal)
    urlencoded = portal_client.post("/verifier", data={"csrf_token": token(portal_client)})
    assert_refused_and_nothing_kept(urlencoded, 400, "Envoi illisible", portal)


TRICKS = {  # what is sent instead of a browser's form: (the multipart body's pieces, its boundary)
    "a file under another field": ('name="autre"; filename="b.xlsx"', "XyZb"),
    "the file without a filename": ('name="fichier"', "XyZb"),
    "a 10 KB filename": ('name="fichier"; filename="' + "é" * 5000 + '.xlsx"', "XyZb"),
    "a 300-byte boundary": ('name="fichier"; filename="b.xlsx"', "B" * 300),
}


@pytest.mark.parametrize("trick", TRICKS)
def test_a_hand_made_form_is_refused_with_nothing_kept(portal_client: TestClient, portal: ServiceContext,
                                                       tmp_path: Path, trick: str) -> None:
    disposition, boundary = TRICKS[trick]
    data = make_workbook(tmp_path / "b.xlsx").read_bytes()
    content = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token(portal_client)}\r\n'
               f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    response = portal_client.post("/envoyer", content=content,
                                  headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert_refused_and_nothing_kept(response, 400, "Envoi illisible", portal)


def test_past_the_hourly_uploads_of_an_address_it_is_429_until_the_next_hour(
        tmp_path: Path, portal_store: Engine) -> None:
    ctx = portal_ctx(tmp_path, portal_store, portal_uploads_per_hour=2)
    client = client_for(ctx)
    path = make_workbook(tmp_path / "b.xlsx")
    assert [post_file(client, url, path).status_code for url in UPLOADS] == [200, 303]  # one count for both
    for url in UPLOADS:
        refused = post_file(client, url, path)
        assert refused.status_code == 429 and "Trop d'envois" in html.unescape(refused.text)
    ctx.clock.now += timedelta(hours=1)  # type: ignore[attr-defined]
    assert post_file(client, "/verifier", path).status_code == 200


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy(tmp_path: Path, portal_store: Engine) -> None:
    ctx = portal_ctx(tmp_path, portal_store, portal_uploads_per_hour=1, portal_trusted_proxies="127.0.0.0/8")
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


def test_a_client_line_before_the_proxys_own_x_forwarded_for_line_is_not_believed(
        tmp_path: Path, portal_store: Engine) -> None:
    # HAProxy's `option forwardfor` adds a line of its own after the client's: the last address of all lines is
    # the client. (Before: the first line alone was read, so each upload named a new address, never 429.)
    ctx = portal_ctx(tmp_path, portal_store, portal_uploads_per_hour=1, portal_trusted_proxies="127.0.0.1")
    client = TestClient(create_portal_app(ctx), client=("127.0.0.1", 50000))
    data = make_workbook(tmp_path / "b.xlsx").read_bytes()
    statuses = []
    for spoofed in ("198.51.100.1", "198.51.100.2"):
        content, content_type = raw_form(token(client), data)
        statuses.append(client.post("/verifier", content=content, headers=[
            ("content-type", content_type), ("x-forwarded-for", spoofed), ("x-forwarded-for", "203.0.113.5")]
        ).status_code)
    assert statuses == [200, 429]


def test_an_ipv6_client_counts_by_its_64_network(tmp_path: Path, portal_store: Engine) -> None:
    ctx = portal_ctx(tmp_path, portal_store, portal_uploads_per_hour=1)
    path = make_workbook(tmp_path / "b.xlsx")
    first = TestClient(create_portal_app(ctx), client=("2001:db8:1:2::1", 50000))
    assert post_file(first, "/verifier", path).status_code == 200
    same_host = TestClient(create_portal_app(ctx), client=("2001:db8:1:2:ffff::9", 50000))
    assert post_file(same_host, "/verifier", path).status_code == 429  # (before: 200, a fresh address)
    neighbour = TestClient(create_portal_app(ctx), client=("2001:db8:1:3::1", 50000))
    assert post_file(neighbour, "/verifier", path).status_code == 200


@pytest.mark.postgres
def test_two_portals_on_one_postgresql_share_the_hourly_limit(pg_url: str, tmp_path: Path) -> None:
    engines = [make_engine(pg_url), make_engine(pg_url)]  # two portal processes, each its own pool
    upgrade(engines[0])
    portals = [TestClient(create_portal_app(portal_ctx(tmp_path / str(i), engine, portal_uploads_per_hour=2)),
                          client=("192.0.2.77", 50000)) for i, engine in enumerate(engines)]
    path = make_workbook(tmp_path / "b.xlsx")
    statuses = [post_file(client, "/verifier", path).status_code for client in (*portals, *portals)]
    assert statuses == [200, 200, 429, 429]
    for engine in engines:
        engine.dispose()


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
