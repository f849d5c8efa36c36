"""The dashboard (outbox/index.html) and the reports, opened in a real browser: Debian's headless Chromium.

A store is filled through the real pipeline, in-process: two subscriptions
waiting (one made older than 48 hours), an active company with a delegate
change waiting for approval and then locked by wrong passwords, a rejected
workbook whose file name is an HTML tag, an email given up on. The page is
rendered by `write_dashboard`, then Chromium takes a screenshot (kept under
the test's temporary folder) and dumps the DOM it built: the assertions are
on what a person would see, and on links that lead to real files.

Browser tests skip, with the reason, when /usr/bin/chromium is absent
(`make test` installs it when it runs as root on a machine with apt-get).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import Engine, update

from provisioner.cli import dashboard as _registers_the_command  # noqa: F401
from provisioner.cli.app import cli
from provisioner.config import Settings
from provisioner.security.hashing import Hasher
from provisioner.service.agence import subscriptions
from provisioner.service.agence.dashboard_page import write_dashboard
from provisioner.service.context import ServiceContext
from provisioner.service.submission.pipeline import process_file
from provisioner.service.submission.values import Outcome
from provisioner.store.db import make_engine, upgrade
from provisioner.store.tables import adherents, mail_queue
from provisioner.wording.dashboard_text import OVERDUE as OVERDUE_TEXT
from tests.factory import ADMIN_PASSWORD, adherent, delegue, make_workbook, user
from tests.service_env import service_env

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser tests need Debian's chromium package (/usr/bin/chromium is absent); "
           "`make test` installs it when run as root with apt-get")
WINDOW = (1366, 900)  # a laptop screen
BROWSER_TIMEOUT_S = 120

HOSTILE_NAME = '<img src=x onerror="alert(1)">bordereau.xlsx'
OVERDUE_ROW = (0xFD, 0xE2, 0xE1)  # tr.overdue td background in index.html.j2
OVERDUE_BADGE = (0xB3, 0x26, 0x1E)
MAIL_ERROR = "550 5.1.1 mailbox unavailable"


# -- the store the page shows ----------------------------------------------------------------


@dataclass
class Store:
    ctx: ServiceContext
    root: Path
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def outbox(self) -> Path:
        return self.ctx.outbox

    def process(self, key: str, book: Path, name: str | None = None) -> Outcome:
        self.outcomes[key] = process_file(self.ctx, book, name=name)
        return self.outcomes[key]


def subscription(root: Path, numero: str, name: str, login: str) -> Path:
    return make_workbook(root / f"abonnement-{numero}.xlsx",
                         adherent_values=adherent(numero=numero, raison_sociale=name),
                         delegue_values=delegue(email=f"delegue@{numero}.ma"),
                         users={"td_interne": [user(login)]}, categories=[{"login": login, "D": "X"}])


def mise_a_jour(root: Path, file: str, numero: str, password: str, **delegue_values: Any) -> Path:
    # Only what a Mise à jour needs: any company detail typed would become a request of its own.
    return make_workbook(root / file, adherent_values={"type_demande": "Mise à jour", "numero": numero},
                         delegue_values={"password": password, **delegue_values}, users={}, categories=[])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{(root / 'var' / 'provisioner.db').as_posix()}"
    (root / "var").mkdir()
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, outbox=root / "outbox", inbox=root / "inbox", var_dir=root / "var",
                        hash_workers=1, lock_after=2)
    (root / "inbox").mkdir()
    with ServiceContext(settings, engine, Hasher(1)) as ctx:
        store = Store(ctx, root)
        fill(store)
        write_dashboard(ctx)
        yield store


def fill(store: Store) -> None:
    root, ctx = store.root, store.ctx
    # A subscription received 50 hours ago: past the 48-hour promise.
    assert store.process("late", subscription(root, "123456", "Boulangerie Al Baraka SARL", "hind.td")).ok
    with ctx.engine.begin() as conn:
        conn.execute(update(adherents).where(adherents.c.numero == "123456")
                     .values(created_at=ctx.clock() - timedelta(hours=50)))
    assert store.process("recent", subscription(root, "654321", "Atlas Textile SA", "sara.atlas")).ok
    # An active company: a delegate change waits for the signed letter, then wrong passwords lock it.
    assert store.process("noor", subscription(root, "777777", "Cabinet Noor", "noor.td")).ok
    subscriptions.activate(ctx, "777777")
    change = store.process("request", mise_a_jour(root, "delegue.xlsx", "777777", ADMIN_PASSWORD,
                                                  email="nouvelle.deleguee@noor.ma"))
    assert change.report["requests"], change.report
    for attempt in (1, 2):
        store.process(f"wrong{attempt}", mise_a_jour(root, f"faux-{attempt}.xlsx", "777777", f"Faux{attempt}xx"))
    # A rejected workbook whose name is an HTML tag: it must show as text.
    bad = make_workbook(root / "refuse.xlsx", adherent_values=adherent(numero="888888"),
                        users={"td_interne": [user("bad.td", email="pas-un-email", nom="")]},
                        categories=[{"login": "bad.td", "D": "X"}])
    assert store.process("rejected", bad, name=HOSTILE_NAME).status == "rejected"
    with ctx.engine.begin() as conn:
        first = conn.execute(mail_queue.select().order_by(mail_queue.c.id)).first()
        assert first is not None
        conn.execute(update(mail_queue).where(mail_queue.c.id == first.id)
                     .values(status="failed", attempts=5, last_error=MAIL_ERROR))


# -- the browser -------------------------------------------------------------------------------


def chromium(target: Path, *args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               f"--window-size={WINDOW[0]},{WINDOW[1]}", *args, target.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False)
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result


def dump_dom(target: Path, tmp_path: Path) -> Page:
    """The DOM as Chromium built it (after parsing, styles and layout), read back as a Page."""
    page = Page()
    page.feed(chromium(target, "--dump-dom", profile=tmp_path / "profile").stdout)
    page.close()
    return page


def screenshot(target: Path, tmp_path: Path) -> Image.Image:
    shot = tmp_path / f"{target.parent.name}-{target.stem}.png"
    chromium(target, f"--screenshot={shot}", profile=tmp_path / "profile")
    assert shot.is_file() and shot.stat().st_size > 10_000, "empty screenshot"
    image = Image.open(shot).convert("RGB")
    assert image.size == WINDOW
    return image


def pixels_of(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 4) -> int:
    return sum(1 for pixel in image.get_flattened_data() if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour)))


@dataclass
class Row:
    section: str  # the id of the page section holding the row
    classes: set[str]
    text: str
    links: list[tuple[str, str]]  # (text, href)


class Page(HTMLParser):
    """What the assertions need of a DOM: its text, its table rows, links and tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.rows: list[Row] = []
        self.links: list[tuple[str, str]] = []
        self.headings: list[str] = []
        self.svg_texts: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.texts: list[str] = []
        self._open: list[str] = []
        self._row: Row | None = None
        self._link: list[str] | None = None
        self._href = ""
        self._heading: list[str] | None = None
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self._open.append(tag)
        if tag == "section":
            self._section = values.get("id") or ""
        elif tag == "tr":
            self._row = Row(self._section, set((values.get("class") or "").split()), "", [])
        elif tag == "a":
            self._link, self._href = [], values.get("href") or ""
        elif tag == "h1":
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "a" and self._link is not None:
            link = (" ".join("".join(self._link).split()), self._href)
            self.links.append(link)
            if self._row is not None:
                self._row.links.append(link)
            self._link = None
        elif tag == "h1" and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] in ("style", "title") and "svg" not in self._open:
            return
        self.texts.append(data)
        if "svg" in self._open and data.strip():
            self.svg_texts.append(data.strip())
        for sink in (self._link, self._heading):
            if sink is not None:
                sink.append(data)
        if self._row is not None:
            self._row.text += data

    @property
    def text(self) -> str:
        return " ".join("".join(self.texts).split())

    def row_with(self, needle: str, section: str | None = None) -> Row:
        found = [r for r in self.rows if needle in r.text and section in (None, r.section)]
        assert len(found) == 1, f"{len(found)} rows hold {needle!r}"
        return found[0]


def resolve(outbox: Path, href: str) -> Path:
    """Where a relative link of index.html leads; it must stay inside the outbox."""
    assert "://" not in href and not href.startswith("/"), href
    target = (outbox / unquote(href)).resolve()
    assert target.is_relative_to(outbox.resolve()), href
    return target


# -- the dashboard in the browser ----------------------------------------------------------------


@needs_chromium
def test_a_subscription_waiting_past_48_hours_stands_out_on_the_screen(store: Store, tmp_path: Path) -> None:
    index = store.outbox / "index.html"
    page = dump_dom(index, tmp_path)

    late = page.row_with("123456", section="abonnements")
    assert "overdue" in late.classes
    assert OVERDUE_TEXT in late.text and "Boulangerie Al Baraka SARL" in late.text
    assert "2 j 2 h" in late.text  # its age, as a person reads it
    recent = page.row_with("654321", section="abonnements")
    assert "overdue" not in recent.classes and OVERDUE_TEXT not in recent.text
    assert "dont 1 en attente depuis plus de 48 h" in page.text  # the tile at the top

    image = screenshot(index, tmp_path)
    # The row's red background and its badge are on the first screen, not below the fold.
    assert pixels_of(image, OVERDUE_ROW) > 5_000
    assert pixels_of(image, OVERDUE_BADGE) > 300


@needs_chromium
def test_each_waiting_thing_is_listed_in_french(store: Store, tmp_path: Path) -> None:
    page = dump_dom(store.outbox / "index.html", tmp_path)

    request = page.row_with("777777", section="demandes")
    assert "Changement de personne déléguée" in request.text and "Cabinet Noor" in request.text
    assert "modification de Email" in request.text
    locked = page.row_with("777777", section="blocages")
    assert "Cabinet Noor" in locked.text
    assert "Entreprises bloquées (1)" in page.text
    failed = page.row_with(MAIL_ERROR, section="emails")
    assert "Échec" in failed.text
    assert "Tableau de bord — TéléServices CIMR" in page.headings


@needs_chromium
def test_the_link_to_a_rejected_report_opens_it_and_it_says_so_first(store: Store, tmp_path: Path) -> None:
    page = dump_dom(store.outbox / "index.html", tmp_path)
    row = page.row_with(HOSTILE_NAME, section="envois")  # the tag is text on the page...
    assert "img" not in page.tags and "script" not in page.tags  # ...never an element
    assert "Refusé" in row.text
    links = dict(row.links)
    annotated = resolve(store.outbox, links["Bordereau annoté"])
    assert annotated.is_file() and annotated.name == "bordereau-annote.xlsx"
    report = resolve(store.outbox, links["Rapport"])
    assert report.is_file() and report.parent.name == store.outcomes["rejected"].submission_id

    opened = dump_dom(report, tmp_path)

    assert opened.headings[0].startswith("Votre bordereau a été refusé : ")
    assert "à corriger. Rien n'a été appliqué." in opened.headings[0]
    assert HOSTILE_NAME in opened.text and "img" not in opened.tags
    assert "INVALID_FORMAT" in opened.text
    assert screenshot(report, tmp_path).getextrema() != ((255, 255), (255, 255), (255, 255))


@needs_chromium
def test_the_link_to_an_accepted_subscription_report_opens_its_outcome(store: Store, tmp_path: Path) -> None:
    page = dump_dom(store.outbox / "index.html", tmp_path)
    outcome = store.outcomes["recent"]
    row = page.row_with(outcome.submission_id, section="envois")
    links = dict(row.links)
    assert resolve(store.outbox, links["Formulaire"]).name == "formulaire-abonnement.pdf"

    opened = dump_dom(resolve(store.outbox, links["Rapport"]), tmp_path)

    assert opened.headings == ["Votre demande d'abonnement a été enregistrée : 1 compte sera créé dès que "
                               "l'Agence Virtuelle l'aura validée."]


@needs_chromium
def test_the_error_chart_ranks_codes_by_the_files_they_stopped(store: Store, tmp_path: Path) -> None:
    page = dump_dom(store.outbox / "index.html", tmp_path)
    assert "svg" in page.tags and page.tags.count("rect") == 3
    codes = [t for t in page.svg_texts if t.isupper()]
    assert codes[0] == "AUTH_FAILED" and set(codes) == {"AUTH_FAILED", "INVALID_FORMAT", "REQUIRED"}
    assert "2 fichiers · 2 erreurs" in page.svg_texts


@needs_chromium
def test_the_page_needs_nothing_but_itself(store: Store, tmp_path: Path) -> None:
    page = dump_dom(store.outbox / "index.html", tmp_path)
    assert "link" not in page.tags and "script" not in page.tags and "iframe" not in page.tags
    assert not [value for name, value in page.attributes if name == "src"]
    for _, href in page.links:
        if not href.startswith("#"):
            assert resolve(store.outbox, href).is_file(), href
    source = (store.outbox / "index.html").read_text(encoding="utf-8")
    assert "url(" not in source and "@import" not in source and "http://" not in source


# -- how the page is written ---------------------------------------------------------------------


def test_the_page_lists_the_last_submissions_newest_first_with_their_counts(store: Store) -> None:
    source = (store.outbox / "index.html").read_text(encoding="utf-8")
    table = source[source.index('<section id="envois">'):]
    ids = [store.outcomes[k].submission_id for k in ("rejected", "wrong2", "request", "late")]
    positions = [table.index(i) for i in ids]
    assert positions == sorted(positions)
    assert table.count("<tr>") == 1 + len(store.outcomes)  # the header, then one row per submission
    late = table[positions[3]:]
    assert "1 compte créé" in late[:late.index("</tr>")]
    # Escaped by the template, not by luck: the raw name would be an element.
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;bordereau.xlsx" in source and "<img" not in source


def test_a_temporary_page_left_by_a_killed_process_is_removed_once_stale(store: Store) -> None:
    stale = store.outbox / ".index.html.killed.tmp"
    fresh = store.outbox / ".index.html.writing.tmp"
    for leftover in (stale, fresh):
        leftover.write_text("<html>", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))

    write_dashboard(store.ctx)

    assert not stale.exists()
    assert fresh.exists()  # maybe another instance writing right now
    fresh.unlink()


def test_the_dashboard_command_rebuilds_the_page(store: Store) -> None:
    page = store.outbox / "index.html"
    page.unlink()
    env = {"PROVISIONER_DATABASE_URL": store.ctx.settings.effective_database_url,
           "PROVISIONER_OUTBOX": str(store.outbox), "PROVISIONER_INBOX": str(store.root / "inbox"),
           "PROVISIONER_VAR_DIR": str(store.root / "var"), "PROVISIONER_CONFIG": "/nonexistent",
           "PROVISIONER_HASH_WORKERS": "1"}

    result = CliRunner(env=env).invoke(cli, ["dashboard"])

    assert result.exit_code == 0, result.output
    assert page.is_file() and OVERDUE_TEXT in page.read_text(encoding="utf-8")


def test_serve_writes_the_page_after_a_poll(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    (tmp_path / "inbox").mkdir()
    make_workbook(tmp_path / "inbox" / "abonnement.xlsx")

    result = subprocess.run([sys.executable, "-m", "provisioner", "serve", "--once"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stderr
    assert "after_poll failed" not in result.stderr
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "abonnement.xlsx" in page and "Boulangerie Al Baraka SARL" in page
    assert "Abonnements en attente de validation <span class=\"count\">(1)</span>" in page


def test_the_page_reads_the_reports_alike_on_sqlite_and_postgresql(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(database_url=str(engine.url), outbox=tmp_path / "outbox", inbox=tmp_path / "inbox",
                        var_dir=tmp_path / "var", hash_workers=1)
    ctx = ServiceContext(settings, engine, Hasher(1))
    try:
        accepted = process_file(ctx, subscription(tmp_path, "123456", "Boulangerie Al Baraka SARL", "hind.td"))
        rejected = process_file(ctx, make_workbook(tmp_path / "refuse.xlsx", adherent_values=adherent(numero="888888"),
                                                   users={"td_interne": [user("bad.td", email="x", nom="")]}))
        write_dashboard(ctx)
    finally:
        ctx.hasher.close()
    source = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    table = source[source.index('<section id="envois">'):]
    accepted_row = table[table.index(accepted.submission_id):]
    rejected_row = table[table.index(rejected.submission_id):]
    assert "1 compte créé" in accepted_row[:accepted_row.index("</tr>")]
    cells = re.findall(r'<td class="num">(\d+)</td>', rejected_row[:rejected_row.index("</tr>")])
    assert cells == [str(len(rejected.report["errors"])), str(len(rejected.report["warnings"]))]
    assert "INVALID_FORMAT" in source[source.index('<section id="erreurs">'):]


def test_the_dashboard_command_help_gives_an_example() -> None:
    result = CliRunner().invoke(cli, ["dashboard", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "provisioner dashboard" in result.output
