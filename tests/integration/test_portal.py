"""The companies' portal through Starlette's test client, on a real store: its pages and `POST /verifier`.

The home page and its template, the CSRF cookie, the store-free check with
its annotated copy kept an hour. Workbooks are real `.xlsx` files from
tests/factory.py carrying canaries in every secret cell: no page and no file
the portal gives back may hold one. Refusals: test_portal_refusals.py.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from provisioner.portal import checking
from provisioner.portal.app import create_portal_app
from provisioner.service.context import ServiceContext
from provisioner.store.tables import portal_tokens
from tests.factory import make_workbook
from tests.portal_support import (
    CSRF,
    TEMPLATE,
    XLSX,
    assert_no_secret,
    client_for,
    faulty_workbook,
    portal_ctx,
    post_file,
    raw_form,
    token,
    unzipped_text,
)

# -- GET / and the template ---------------------------------------------------------------

def test_home_page_gives_three_steps_the_forms_and_the_security_headers(portal_client: TestClient) -> None:
    response = portal_client.get("/")
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


def test_behind_https_the_csrf_cookie_is_host_prefixed_and_secure(tmp_path: Path, portal_store: Engine) -> None:
    client = client_for(portal_ctx(tmp_path, portal_store, web_secure_cookies=True))
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith("__Host-portail_csrf=") and "Secure" in cookie and "Path=/" in cookie


def test_the_blank_template_is_the_committed_file(portal_client: TestClient) -> None:
    response = portal_client.get("/modele.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert 'filename="bordereau-teleservices.xlsx"' in response.headers["content-disposition"]
    assert response.content == TEMPLATE.read_bytes()


def test_the_portal_serves_none_of_the_back_office(portal_client: TestClient) -> None:
    for path in ("/connexion", "/soumissions", "/adherents", "/operateurs", "/journal"):
        response = portal_client.get(path)
        assert response.status_code == 404 and "Page introuvable" in response.text, path
    assert portal_client.post("/connexion", data={"login": "amina"}).status_code == 404
    assert portal_client.get("/verifier").status_code == 405
    assert portal_client.get("/static/style.css").status_code == 200  # the shared stylesheet, by code
    assert portal_client.get("/static/portail.css").status_code == 200


# -- POST /verifier -----------------------------------------------------------------------

def test_verifier_lists_each_finding_at_its_cell_and_keeps_the_annotated_copy_an_hour(
        portal_client: TestClient, portal: ServiceContext, tmp_path: Path, typed: dict[str, str]) -> None:
    response = post_file(portal_client, "/verifier", faulty_workbook(tmp_path / "bordereau.xlsx", typed))
    assert response.status_code == 200, response.text
    page = response.text
    assert "1 erreur à corriger" in page and "ce bordereau serait refusé" in page
    assert "Télédéclaration interne" in page and "INVALID_FORMAT" in page
    assert re.search(r'<td class="mono" data-label="Cellule">J2</td>', page), "the faulty email's cell"
    assert response.headers["x-robots-tag"] == "noindex, nofollow" and response.headers["cache-control"] == "no-store"
    assert_no_secret(page, typed)
    link = re.search(r'href="(/verification/([^/"]+)/classeur-annote\.xlsx)"', page)
    assert link is not None and len(link.group(2)) >= 22  # ≥ 128 bits, URL-safe base 64
    copy = portal_client.get(link.group(1))
    assert copy.status_code == 200 and copy.headers["content-type"] == XLSX
    assert copy.headers["cache-control"] == "no-store"
    text = unzipped_text(copy.content)
    assert "Anomalies" in text and "pas-une-adresse" in text  # the person's values, where they were
    assert_no_secret(text, typed)
    with portal.engine.connect() as conn:
        stored = conn.execute(select(portal_tokens.c.token_hash, portal_tokens.c.content)).one()
    assert link.group(2) not in stored.token_hash and b"Anomalies" not in stored.content  # hashed, encrypted
    portal.clock.now += timedelta(minutes=61)  # type: ignore[attr-defined]
    expired = portal_client.get(link.group(1))
    assert expired.status_code == 404 and "plus d'une heure" in html.unescape(expired.text)


def test_verifier_of_a_valid_workbook_says_it_can_be_sent_and_keeps_nothing(
        portal_client: TestClient, portal: ServiceContext, tmp_path: Path) -> None:
    response = post_file(portal_client, "/verifier", make_workbook(tmp_path / "ok.xlsx"))
    assert response.status_code == 200 and "Aucune erreur" in response.text
    assert "classeur-annote" not in response.text
    with portal.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(portal_tokens)).scalar() == 0
    assert list((portal.settings.var_dir / "portal").iterdir()) == []  # the upload is gone


def test_a_file_that_is_no_workbook_gets_its_finding_not_a_traceback(portal_client: TestClient, tmp_path: Path) -> None:
    odd = tmp_path / "notes.xlsx"
    odd.write_bytes(b"name;password\nali;secret\n")
    response = post_file(portal_client, "/verifier", odd)
    assert response.status_code == 200 and "FILE_TYPE" in response.text and "Traceback" not in response.text


def test_the_file_name_is_shown_without_the_clients_folders(portal_client: TestClient, tmp_path: Path) -> None:
    data = make_workbook(tmp_path / "b.xlsx").read_bytes()
    content, content_type = raw_form(token(portal_client), data, filename="/storage/emulated/0/Documents/paie.xlsx")
    page = portal_client.post("/verifier", content=content, headers={"content-type": content_type}).text
    assert "« <span class=\"long\">paie.xlsx</span> »" in page and "Documents" not in page  # (before: the path)


def test_a_fault_of_ours_is_a_french_500_that_tells_nothing(portal: ServiceContext, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("detail-interne-42")

    monkeypatch.setattr(checking, "check_file", broken)
    client = TestClient(create_portal_app(portal), raise_server_exceptions=False)
    response = post_file(client, "/verifier", make_workbook(tmp_path / "b.xlsx"))
    assert response.status_code == 500 and '<html lang="fr">' in response.text  # (before: "Internal Server Error")
    assert "Erreur du service" in response.text and "detail-interne-42" not in response.text
    assert "Traceback" not in response.text and response.headers["cache-control"] == "no-store"


def test_while_a_workbook_is_checked_the_portal_answers_and_a_check_too_many_is_a_503(
        portal: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    real_check = checking.check_file

    def slow_check(*args: Any, **kwargs: Any) -> Any:  # a large workbook, as long as the test wants
        started.set()
        release.wait(10)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(checking, "check_file", slow_check)
    monkeypatch.setattr(checking, "_checks", threading.BoundedSemaphore(1))
    path = make_workbook(tmp_path / "b.xlsx")
    with TestClient(create_portal_app(portal)) as client:  # one event loop for every request
        first: list[Any] = []
        worker = threading.Thread(target=lambda: first.append(post_file(client, "/verifier", path)))
        worker.start()
        assert started.wait(30)
        assert client.get("/").status_code == 200  # the event loop is free
        assert client.get("/suivi/" + "A" * 43).status_code == 404  # so is a worker thread and the store
        second = post_file(client, "/verifier", path)
        release.set()
        worker.join()
    assert second.status_code == 503 and "Service très demandé" in second.text  # (before: 200, after the wait)
    assert first[0].status_code == 200 and "Aucune erreur" in first[0].text


def test_an_unknown_or_malformed_jeton_is_a_french_404(portal_client: TestClient) -> None:
    for jeton in ("x", "A" * 43, "%C3%A9" * 30):
        response = portal_client.get(f"/verification/{jeton}/classeur-annote.xlsx")
        assert response.status_code == 404 and "Lien expiré ou inconnu" in response.text


def test_an_upload_left_by_a_killed_process_is_swept_by_the_next_one(
        portal_client: TestClient, portal: ServiceContext, tmp_path: Path) -> None:
    folder = portal.settings.var_dir / "portal"
    folder.mkdir(parents=True)
    stale, fresh = folder / ".upload-killed", folder / ".upload-in-progress"
    for path in (stale, fresh):
        path.write_bytes(b"PK half an upload")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert post_file(portal_client, "/verifier", make_workbook(tmp_path / "b.xlsx")).status_code == 200
    assert sorted(p.name for p in folder.iterdir()) == [fresh.name]  # another request's file is left alone
