"""The back office in a real browser (headless Chromium through Selenium) against a real `provisioner serve`.

The store is filled through the real pipeline (a company with two requests
waiting), the first operator is created with the real CLI, then the service
runs as a process of its own with its web back office on a free port. The
browser signs in, approves one request, sees the change on the company's
page, refuses the other with a reason, and takes a screenshot of the
dashboard that must not be blank. SIGTERM then stops both the scheduler and
the web server, cleanly.

Skipped, with the reason, when Debian's chromium or chromium-driver is absent.
"""

from __future__ import annotations

import html
import io
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageStat

from provisioner.config import Settings
from provisioner.security.hashing import Hasher
from provisioner.service.agence import subscriptions
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.requests import list_requests
from provisioner.service.submission.pipeline import process_file
from provisioner.store.db import make_engine, upgrade
from tests.factory import ADMIN_PASSWORD, adherent, make_workbook
from tests.service_env import run_provisioner, service_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
needs_browser = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="browser tests need Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); "
           "`make test` installs them when run as root with apt-get")
NUMERO = "123456"
OPERATOR_PASSWORD = "agent-de-validation-2026"
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill_store(root: Path, database_url: str) -> dict[str, int]:
    """A validated company whose Mise à jour asks for a new delegate email and a new company name."""
    engine = make_engine(database_url)
    upgrade(engine)
    settings = Settings(database_url=database_url, outbox=root / "outbox", inbox=root / "inbox",
                        var_dir=root / "var", hash_workers=1)
    ctx = ServiceContext(settings, engine, Hasher(1))
    try:
        assert process_file(ctx, make_workbook(root / "abonnement.xlsx")).status == "accepted"
        subscriptions.activate(ctx, NUMERO)
        outcome = process_file(ctx, make_workbook(
            root / "maj.xlsx", adherent_values=adherent(type_demande="Mise à jour", raison_sociale="Al Baraka SA"),
            delegue_values={"password": ADMIN_PASSWORD, "email": "nouveau.delegue@albaraka.ma"}, categories=[]))
        assert outcome.status == "accepted", outcome.report["errors"]
        return {r["kind"]: r["id"] for r in list_requests(ctx)}
    finally:
        ctx.close()


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()[-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {START_TIMEOUT_S} s")


@contextmanager
def chromium(tmp_path: Path, *, downloads: Path | None = None, size: str = "1366,900") -> Iterator[Any]:
    """Headless Chromium driven by Selenium; files it downloads go to `downloads`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={size}"):
        options.add_argument(argument)
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path) as driver:
        yield driver


def page_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return html.unescape(str(driver.find_element(By.TAG_NAME, "body").text))


def shows(driver: Any, text: str) -> bool:
    """After a click that posts a form, the next page holds `text` (waited for: until the browser has
    loaded it, the old page's elements go stale under our feet)."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: text in page_text(d))
    except TimeoutException:
        return False
    return True


@pytest.mark.slow
@needs_browser
def test_an_operator_approves_and_refuses_requests_in_a_browser(tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    waiting = fill_store(tmp_path, f"sqlite:///{(tmp_path / 'var' / 'provisioner.db').as_posix()}")
    assert set(waiting) == {"delegue_change", "company_change"}
    env = service_env(tmp_path)
    run_provisioner(tmp_path, env, "operators", "add", "agent", "--role", "validation", "--password-stdin",
                    input_text=OPERATOR_PASSWORD + "\n")
    port = free_port()
    env = service_env(tmp_path, PROVISIONER_WEB_ENABLED="1", PROVISIONER_WEB_PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "provisioner", "serve"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/connexion", process)

        browser.get(f"{base}/connexion")
        browser.find_element(By.ID, "login").send_keys("agent")
        browser.find_element(By.ID, "password").send_keys(OPERATOR_PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "section.signin button[type=submit]").click()
        assert shows(browser, "Tableau de bord"), page_text(browser)

        browser.get(f"{base}/demandes")
        approve = waiting["delegue_change"]
        browser.find_element(By.CSS_SELECTOR, f"form[action='/demandes/{approve}/approuver'] button").click()
        assert shows(browser, f"Demande {approve} approuvée"), page_text(browser)

        browser.get(f"{base}/adherents/{NUMERO}")
        company = page_text(browser)
        assert "nouveau.delegue@albaraka.ma" in browser.find_element(By.ID, "delegue-faits").text
        assert "approuvée" in company and "demande approuvée" in company and "agent" in company

        browser.get(f"{base}/demandes")
        refuse = waiting["company_change"]
        form = browser.find_element(By.CSS_SELECTOR, f"form[action='/demandes/{refuse}/refuser']")
        form.find_element(By.NAME, "motif").send_keys("Lettre signée absente")
        form.find_element(By.TAG_NAME, "button").click()
        assert shows(browser, f"Demande {refuse} refusée"), page_text(browser)
        browser.get(f"{base}/journal")
        assert "Lettre signée absente" in page_text(browser)
        browser.get(f"{base}/demandes")
        assert "Aucune demande en attente." in page_text(browser)

        browser.get(f"{base}/")
        shot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
        shot.save(tmp_path / "tableau-de-bord.png")
        stats = ImageStat.Stat(shot)
        assert max(stats.stddev) > 20, f"the dashboard looks blank: {stats.stddev}"
        assert len(shot.getcolors(maxcolors=1 << 20) or []) > 20  # text, tiles and the header, not one flat colour
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            _out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, err.decode()[-3000:]
    assert b"Traceback" not in err


@contextmanager
def running_alone(tmp_path: Path, command: str, port_setting: str, ready: str, stop: int) -> Iterator[str]:
    """`provisioner COMMAND` (a web server alone) on a free port: its base URL; at the end `stop` is sent,
    and it must exit 0 without a traceback."""
    port = free_port()
    env = service_env(tmp_path, **{port_setting: str(port)})
    process = subprocess.Popen([sys.executable, "-m", "provisioner", command], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}{ready}", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(stop)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and b"Traceback" not in err, err.decode()[-3000:]


@pytest.mark.slow
@needs_browser
def test_an_admin_meets_french_errors_confirms_and_reenables_in_a_browser(tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    fill_store(tmp_path, f"sqlite:///{(tmp_path / 'var' / 'provisioner.db').as_posix()}")
    engine = make_engine(f"sqlite:///{(tmp_path / 'var' / 'provisioner.db').as_posix()}")
    settings = Settings(database_url=str(engine.url), outbox=tmp_path / "outbox", inbox=tmp_path / "inbox",
                        var_dir=tmp_path / "var", hash_workers=1)
    with ServiceContext(settings, engine, Hasher(1)) as ctx:  # a refused file: the dashboard draws its chart
        refused = process_file(ctx, make_workbook(tmp_path / "inconnu.xlsx", adherent_values=adherent(
            numero="999999", type_demande="Mise à jour"), categories=[]))
        assert refused.status == "rejected"
    env = service_env(tmp_path)
    for login, role in (("amina", "admin"), ("said", "lecture")):
        run_provisioner(tmp_path, env, "operators", "add", login, "--role", role, "--password-stdin",
                        input_text=OPERATOR_PASSWORD + "\n")
    port = free_port()
    env = service_env(tmp_path, PROVISIONER_WEB_PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "provisioner", "web"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/connexion", process)
        browser.get(f"{base}/journal")  # no session: to the sign-in page, then back to the journal
        browser.find_element(By.ID, "login").send_keys("amina")
        browser.find_element(By.ID, "password").send_keys("pas le bon mot de passe")
        browser.find_element(By.CSS_SELECTOR, "section.signin button[type=submit]").click()
        assert shows(browser, "Identifiant ou mot de passe incorrect"), page_text(browser)
        assert browser.find_element(By.ID, "login").get_attribute("value") == "amina"  # kept after the failure
        browser.find_element(By.ID, "password").send_keys(OPERATOR_PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "section.signin button[type=submit]").click()
        assert shows(browser, "Journal des actions"), page_text(browser)
        assert browser.current_url == f"{base}/journal"

        browser.get(f"{base}/nulle-part")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Page introuvable"
        assert "Agence Virtuelle" in browser.find_element(By.CSS_SELECTOR, "header.top").text  # the site's layout
        Image.open(io.BytesIO(browser.get_screenshot_as_png())).save(tmp_path / "page-introuvable.png")

        browser.get(f"{base}/operateurs")
        browser.find_element(By.CSS_SELECTOR, "form[action='/operateurs/said/desactiver'] button").click()
        assert shows(browser, "Rien n'est fait tant que vous ne confirmez pas"), page_text(browser)
        Image.open(io.BytesIO(browser.get_screenshot_as_png())).save(tmp_path / "confirmation.png")
        browser.find_element(By.CSS_SELECTOR, "form[action='/operateurs/said/desactiver'] button").click()
        assert shows(browser, "Opérateur said désactivé"), page_text(browser)
        browser.get(f"{base}/operateurs")
        browser.find_element(By.CSS_SELECTOR, "form[action='/operateurs/said/reactiver'] button").click()
        assert shows(browser, "Opérateur said réactivé"), page_text(browser)
        browser.get(f"{base}/operateurs")
        assert "Dernière connexion" in page_text(browser)
        Image.open(io.BytesIO(browser.get_screenshot_as_png())).save(tmp_path / "operateurs.png")

        browser.get(f"{base}/")
        chart_text = browser.find_element(By.CSS_SELECTOR, "svg.chart text").rect["height"]
        body_text = browser.find_element(By.CSS_SELECTOR, "#envois > p > a").rect["height"]  # inline, 15 px
        assert chart_text <= body_text * 1.15, (chart_text, body_text)  # it grew to 1.5× with the page
        section = browser.find_element(By.ID, "erreurs")
        Image.open(io.BytesIO(section.screenshot_as_png)).save(tmp_path / "erreurs.png")
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and b"Traceback" not in err, err.decode()[-3000:]
def test_provisioner_web_runs_the_back_office_alone_and_stops_on_sigint(tmp_path: Path) -> None:
    with running_alone(tmp_path, "web", "PROVISIONER_WEB_PORT", "/connexion", signal.SIGINT) as base:
        page = httpx.get(f"{base}/connexion")
        assert "Connexion" in page.text and page.headers["x-frame-options"] == "DENY"
        assert httpx.get(f"{base}/").headers["location"] == "/connexion"
        assert not (tmp_path / "inbox").exists()  # no scheduler: the inbox is not polled
