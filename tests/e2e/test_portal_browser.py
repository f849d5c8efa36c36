"""The companies' portal in a real browser (headless Chromium through Selenium) against a real `provisioner serve`
running the scheduler, the back office and the portal on two listeners of their own.

A clerk downloads the blank template, checks a faulty workbook, reads the
finding at its cell, downloads the annotated copy, fixes it (the email, and
the secrets typed again, as the mauve cells ask), sends it, and watches
/suivi turn to accepted. Canaries typed as every password and answer are
searched for in every page the browser showed, every file it downloaded and
every email the service wrote. Also: `provisioner portal` alone, stopped by
SIGTERM.

Skipped, with the reason, when Debian's chromium or chromium-driver is absent.
"""

from __future__ import annotations

import email
import email.policy
import io
import signal
import time
import zipfile
from pathlib import Path

import httpx
import openpyxl
import pytest

from provisioner.workbook import layout
from tests.e2e.test_web_browser import (
    START_TIMEOUT_S,
    chromium,
    free_port,
    needs_browser,
    page_text,
    running_alone,
    shows,
)
from tests.factory import QA, delegue, make_workbook, user
from tests.portal_support import assert_no_secret, canary
from tests.service_env import Serve, service_env
from tests.service_env import wait_for as until

DOWNLOAD_TIMEOUT_S = 60
ACCEPTED_TIMEOUT_S = 120


def downloaded(folder: Path, name: str) -> Path:
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    path = folder / name
    while time.monotonic() < deadline:
        if path.is_file() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded: {sorted(p.name for p in folder.iterdir())}")


def fix(annotated: Path, target: Path, typed: dict[str, str]) -> Path:
    """What the clerk does in Excel: the email corrected, every secret typed again where the copy emptied it."""
    book = openpyxl.load_workbook(annotated)
    form = book[layout.DELEGUE_SHEET]
    for row in form.iter_rows(min_col=1, max_col=2):
        if str(row[0].value or "").rstrip(" *") in ("Mot de passe", "Confirmation du mot de passe"):
            row[1].value = typed["admin"]
    sheet = book["Télédéclaration interne"]
    header = {str(cell.value or "").rstrip(" *"): cell.column for cell in sheet[1]}
    values = {"Email": "sara.alaoui@exemple.ma", "Mot de passe": typed["user"],
              "Confirmation mot de passe": typed["user"], "Réponse 1": typed["answer"],
              "Réponse 2": QA["answer2"], "Réponse 3": QA["answer3"]}
    for column, value in values.items():
        sheet.cell(row=2, column=header[column], value=value)
    book.save(target)
    return target


def every_text_of(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def mails_text(outbox: Path) -> str:
    parts = []
    for path in sorted((outbox / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(every_text_of(payload) if payload[:2] == b"PK" else payload.decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.mark.slow
@needs_browser
def test_a_clerk_checks_fixes_sends_and_follows_a_workbook_in_a_browser(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    typed = {"admin": canary(), "user": canary(), "answer": canary()}
    faulty = make_workbook(tmp_path / "bordereau.xlsx",
                           delegue_values=delegue(password=typed["admin"], password_confirm=typed["admin"]),
                           users={"td_interne": [user("hind.td", email="pas-une-adresse", password=typed["user"],
                                                      password_confirm=typed["user"],
                                                      **{**QA, "answer1": typed["answer"]})]})
    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    web_port, portal_port = free_port(), free_port()
    env = service_env(tmp_path, PROVISIONER_WEB_ENABLED="1", PROVISIONER_WEB_PORT=str(web_port),
                      PROVISIONER_PORTAL_ENABLED="1", PROVISIONER_PORTAL_PORT=str(portal_port),
                      PROVISIONER_POLL_SECONDS="2")
    serve = Serve(tmp_path, env).start()
    base = f"http://127.0.0.1:{portal_port}"
    pages: list[str] = []
    try:
        until(lambda: answers(f"{base}/") and answers(f"http://127.0.0.1:{web_port}/connexion"),  # both listeners
              START_TIMEOUT_S, serve)
        assert httpx.get(f"{base}/connexion").status_code == 404  # neither serves the other's routes
        assert httpx.get(f"http://127.0.0.1:{web_port}/modele.xlsx").status_code != 200
        with chromium(tmp_path, downloads=downloads, size="412,915") as browser:  # a phone's screen
            browser.get(f"{base}/")
            pages.append(browser.page_source)
            assert "Remplissez le bordereau" in page_text(browser)
            browser.find_element(By.CSS_SELECTOR, "a[href='/modele.xlsx']").click()
            template = downloaded(downloads, "bordereau-teleservices.xlsx")
            assert template.read_bytes()[:2] == b"PK"

            form = browser.find_element(By.CSS_SELECTOR, "form[action='/verifier']")
            form.find_element(By.NAME, "fichier").send_keys(str(faulty))
            form.find_element(By.TAG_NAME, "button").click()
            assert shows(browser, "ce bordereau serait refusé"), page_text(browser)
            pages.append(browser.page_source)
            assert "pas-une-adresse" in page_text(browser) and "J2" in page_text(browser)

            browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger le bordereau annoté").click()
            annotated = downloaded(downloads, "classeur-annote.xlsx")
            fixed = fix(annotated, tmp_path / "bordereau-corrige.xlsx", typed)

            browser.get(f"{base}/")
            form = browser.find_element(By.CSS_SELECTOR, "form[action='/envoyer']")
            form.find_element(By.NAME, "fichier").send_keys(str(fixed))
            form.find_element(By.TAG_NAME, "button").click()
            assert shows(browser, "Suivi de"), page_text(browser)
            assert "/suivi/" in browser.current_url
            deadline = time.monotonic() + ACCEPTED_TIMEOUT_S
            while "Accepté" not in page_text(browser) and time.monotonic() < deadline:
                time.sleep(1)  # the page refreshes itself (meta refresh): no script, no click
            pages.append(browser.page_source)
            assert "Accepté" in page_text(browser), page_text(browser)
            assert "hind.td" in page_text(browser)
        deadline = time.monotonic() + 30
        while not list((tmp_path / "outbox" / "mail").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.5)
        mails = mails_text(tmp_path / "outbox")
        assert "demande d'abonnement" in mails and "123456" in mails  # the delegate's usual email
    finally:
        stopped = serve.stop(timeout=60) if serve.alive() else serve.process.returncode  # type: ignore[union-attr]
    assert stopped == 0 and "Traceback" not in serve.text(), serve.tail()
    for text in (*pages, every_text_of(annotated.read_bytes()), mails, serve.text()):
        assert_no_secret(text, typed)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
def test_provisioner_portal_runs_alone_and_stops_on_sigterm(tmp_path: Path) -> None:
    with running_alone(tmp_path, "portal", "PROVISIONER_PORTAL_PORT", "/", signal.SIGTERM) as base:
        home = httpx.get(f"{base}/")
        assert "Vérifiez-le" in home.text and home.headers["x-frame-options"] == "DENY"
        assert httpx.get(f"{base}/modele.xlsx").content[:2] == b"PK"
        assert not (tmp_path / "inbox").exists()  # no scheduler: the inbox is not polled
