"""Canaries: no password or secret answer typed into a workbook is ever written anywhere.

security.md ("Never written anywhere"): unique strings in every secret
field, then search every output, unzipped, for them. A company's whole life
goes through the real command line, in subprocesses: an Abonnement, its
validation by the Agence Virtuelle, an accepted Mise à jour (creations, a
reset with a typed password, a new administrator password), a rejected one
(so the annotated copy is written), a Contrôle seul and a workbook whose
administrator password is wrong. Some go through `provisioner process`,
others through the inbox and `provisioner serve --once`, which archives them
and writes the queued emails as `.eml` files, except those that carry a
password the service generated (users' and a new administrator's): with no
SMTP host they wait encrypted, and those passwords, read back from the queue
with the service's key, are canaries too.

Canaries also sit where a careless implementation would copy them from: a
cell comment, the document properties and a hidden extra sheet.

Then every byte under the outbox, the archive, the inbox, the var folder and
the database (the SQLite file and its -wal, or a text dump of every
PostgreSQL table), and everything the commands printed, is searched: every
`.xlsx`/`.zip` entry unzipped, every `.eml` part decoded, every PDF stream
inflated and its text extracted. Positive controls (non-secret markers that must be found) prove
the search looks where it claims to.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import re
import secrets
import string
import subprocess
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from openpyxl.comments import Comment

from provisioner.workbook import layout
from tests.factory import adherent, delegue, make_workbook, user
from tests.service_env import run_provisioner, service_env

NUMERO = "123456"
ALPHANUMERIC = string.ascii_letters + string.digits
QUESTIONS = layout.SECRET_QUESTIONS
MAX_DEPTH = 6  # zip in eml in ... : more than enough


# -- canaries -----------------------------------------------------------------------------

@dataclass
class Canaries:
    """Unique strings, each used in one or a few secret cells; every one must stay unseen."""

    secrets_: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)  # non-secret values that MUST be found (controls)

    def _fresh(self, make: Any) -> str:
        while True:
            value = make()
            if value not in self.secrets_ and value not in self.markers:
                return value

    def password(self) -> str:
        """A valid password (5 to 10 ASCII letters and digits): `Cx` and 8 random ones."""
        value = self._fresh(lambda: "Cx" + "".join(secrets.choice(ALPHANUMERIC) for _ in range(8)))
        self.secrets_.add(value)
        return value

    def long_password(self) -> str:
        """A canary that breaks the password policy (too long): it is rejected, and must not be quoted."""
        value = self._fresh(lambda: "Cx" + "".join(secrets.choice(ALPHANUMERIC) for _ in range(12)))
        self.secrets_.add(value)
        return value

    def answer(self) -> str:
        value = self._fresh(lambda: f"CANARYANSWER-{secrets.token_hex(8)}")
        self.secrets_.add(value)
        return value

    def other(self, prefix: str = "CANARYHIDDEN") -> str:
        """A canary for a place no secret should be copied from (comment, properties, hidden sheet)."""
        value = self._fresh(lambda: f"{prefix}-{secrets.token_hex(8)}")
        self.secrets_.add(value)
        return value

    def marker(self, prefix: str) -> str:
        value = self._fresh(lambda: f"{prefix}{secrets.token_hex(5)}")
        self.markers.add(value)
        return value

    def secret_user(self, login: str, teleservice: str, *, generated: bool = False, **overrides: Any) -> dict[str, Any]:
        """A creation row with a canary in its password, confirmation and every answer."""
        password = None if generated or "password" in overrides else self.password()
        values = user(login, teleservice, password=password, password_confirm=password)
        for i in (1, 2, 3):
            values[f"answer{i}"] = overrides.pop(f"answer{i}") if f"answer{i}" in overrides else self.answer()
        values.update(overrides)
        return values


def plant_in_hiding_places(path: Path, canaries: Canaries, secrets_there: Iterable[str]) -> None:
    """Copy secrets (and fresh canaries) where a re-save would keep them: comment, properties, hidden sheet."""
    secrets_there = list(secrets_there)
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.DELEGUE_SHEET]
    note = f"aide-mémoire : {' '.join(secrets_there)} {canaries.other('CANARYCOMMENT')}"
    ws["B9"].comment = Comment(note, "RH")
    users_sheet = wb[layout.TELESERVICES[0].sheet]
    users_sheet["L2"].comment = Comment(f"mdp {secrets_there[0]} {canaries.other('CANARYCOMMENT')}", "RH")
    wb.properties.title = f"{secrets_there[0]} {canaries.other('CANARYTITLE')}"
    wb.properties.keywords = f"{' '.join(secrets_there)} {canaries.other('CANARYKEYWORDS')}"
    wb.properties.subject = canaries.other("CANARYSUBJECT")
    wb.properties.description = f"{secrets_there[-1]} {canaries.other('CANARYDESCRIPTION')}"
    hidden = wb.create_sheet("Notes RH")
    hidden["A1"] = "Mots de passe"
    for row, value in enumerate([*secrets_there, canaries.other("CANARYHIDDENSHEET")], start=2):
        hidden.cell(row=row, column=1, value=value)
    hidden.sheet_state = "hidden"
    wb.save(path)


# -- searching everything --------------------------------------------------------------------

@dataclass
class Finds:
    hits: list[tuple[str, str]] = field(default_factory=list)  # (where, needle)
    looked_in: list[str] = field(default_factory=list)


def scan(blob: bytes, where: str, needles: dict[bytes, str], finds: Finds, depth: int = 0) -> None:
    """Search `blob` (case-insensitively) and, recursively, what it contains once unpacked."""
    finds.looked_in.append(where)
    lowered = blob.lower()
    for needle, text in needles.items():
        if needle in lowered:
            finds.hits.append((where, text))
    if depth >= MAX_DEPTH:
        return
    if blob[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(blob))
        except zipfile.BadZipFile:
            pytest.fail(f"{where}: starts like a zip but cannot be opened")
        for info in archive.infolist():
            scan(archive.read(info), f"{where}!{info.filename}", needles, finds, depth + 1)
    if blob[:5] == b"%PDF-":
        for number, match in enumerate(re.finditer(rb"stream\r?\n(.*?)endstream", blob, re.S)):
            data = match.group(1)
            try:
                inflated = zlib.decompressobj().decompress(data)
            except zlib.error:
                continue  # a stream stored as is: already searched with the file
            scan(inflated, f"{where}#stream{number}", needles, finds, depth + 1)
        # Embedded fonts write glyph numbers, not letters, in the page streams: read the text
        # as a viewer shows it (through the fonts' ToUnicode maps) and search that too.
        text = " ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(blob)).pages)
        scan(text.encode(), f"{where}#text", needles, finds, depth + 1)
    if where.endswith(".eml") or _looks_like_mail(blob):
        message = email.message_from_bytes(blob, policy=email.policy.default)
        for name, value in message.items():
            scan(f"{name}: {value}".encode(), f"{where}#header:{name}", needles, finds, depth + 1)
        for number, part in enumerate(message.walk()):
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            label = part.get_filename() or part.get_content_type()
            scan(payload, f"{where}#part{number}:{label}", needles, finds, depth + 1)


def _looks_like_mail(blob: bytes) -> bool:
    head = blob[:2000]
    return b"\nMIME-Version:" in head or head.startswith(b"MIME-Version:")


def files_under(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        if folder.exists():
            yield from sorted(p for p in folder.rglob("*") if p.is_file())


def needles_of(values: Iterable[str]) -> dict[bytes, str]:
    return {v.lower().encode("utf-8"): v for v in values}


# -- the service as an operator has it ----------------------------------------------------------

@dataclass
class Service:
    root: Path
    url: str
    printed: list[str] = field(default_factory=list)

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def env(self) -> dict[str, str]:
        return service_env(self.root, self.url)

    def run(self, *args: str | Path, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        result = run_provisioner(self.root, self.env, *args, expect=expect)
        self.printed += [f"$ provisioner {' '.join(map(str, args))}", result.stdout, result.stderr]
        return result

    def drop(self, *books: Path) -> None:
        """Put workbooks in the inbox, in this order and already old enough to be taken."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        past = time.time() - 60
        for rank, book in enumerate(books):
            target = self.inbox / book.name
            target.write_bytes(book.read_bytes())
            os.utime(target, (past + rank, past + rank))

    def reports(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every rapport.json of the outbox, by (file name, status)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for path in self.outbox.glob("*/rapport.json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            found[(data["file"], data["status"])] = data
        return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Service:
    if request.param == "sqlite":
        url = f"sqlite:///{(tmp_path / 'var' / 'provisioner.db').as_posix()}"
    else:
        url = request.getfixturevalue("pg_url")
    (tmp_path / "var").mkdir()
    return Service(tmp_path, url)


def database_text(service: Service) -> list[tuple[str, bytes]]:
    """What the database holds: the SQLite files' bytes, or every PostgreSQL row as text."""
    if service.url.startswith("sqlite"):
        db = service.var / "provisioner.db"
        assert db.is_file()
        return [(p.name, p.read_bytes()) for p in sorted(service.var.glob("provisioner.db*"))]
    engine = sa.create_engine(service.url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            dumps = []
            for table in sorted(tables):
                rows = conn.execute(sa.text(f'SELECT CAST(t AS text) FROM "{table}" AS t')).scalars().all()
                dumps.append((f"pg:{table}", "\n".join(rows).encode("utf-8")))
            assert any(name == "pg:accounts" for name, _ in dumps)
            return dumps
    finally:
        engine.dispose()


def generated_passwords(service: Service) -> set[str]:
    """The passwords the service generated, read from the queue with its key: canaries it made itself."""
    fernet = Fernet((service.var / "secret.key").read_bytes())
    engine = sa.create_engine(service.url)
    try:
        with engine.connect() as conn:
            bodies = conn.execute(sa.text(
                "SELECT body_text FROM mail_queue WHERE status = 'pending'"
                " AND kind IN ('generated_password', 'admin_password_reset')")).scalars().all()
    finally:
        engine.dispose()
    clear = [fernet.decrypt(body.removeprefix("fernet:").encode()).decode() for body in bodies]
    said = re.compile(r"Mot de passe(?: administrateur)?\s:\s([A-Za-z0-9]+)")
    return {match for text in clear for match in said.findall(text)}


# -- the scenario -------------------------------------------------------------------------------------

def test_no_password_or_answer_is_ever_written_anywhere(service: Service) -> None:
    c = Canaries()
    books = service.root / "books"  # what the people typed: the only place the canaries may be
    books.mkdir()
    company_marker = c.marker("Societe Temoin ")
    user_marker = c.marker("Temoin")

    # 1. Abonnement: a new administrator password, users on every téléservice (one with a generated password).
    admin_1 = c.password()
    subscription_users = {
        "td_interne": [c.secret_user("hind.td", "td_interne")],
        "td_externe": [c.secret_user("omar.tx", "td_externe")],
        "compte_adherent": [c.secret_user("sara.ca", "compte_adherent", generated=True)],
        "easypaiement": [c.secret_user("amine.ep", "easypaiement")],
        "eliquidation": [c.secret_user("nadia.el", "eliquidation")],
        "sanctions": [c.secret_user("youssef.sa", "sanctions")],
    }
    abonnement = make_workbook(
        books / "abonnement.xlsx", adherent_values=adherent(raison_sociale=company_marker),
        delegue_values=delegue(password=admin_1, password_confirm=admin_1), users=subscription_users,
        categories=[{"login": "hind.td", "D": "X"}, {"login": "omar.tx", "S1": "X"}])
    plant_in_hiding_places(abonnement, c, [admin_1, subscription_users["td_interne"][0]["answer1"]])

    # 2. (the validation by the Agence Virtuelle comes below) 3. Mise à jour, accepted: creations, a reset with
    # a typed password, a Modifier with a new
    #    password and answers, a new administrator password.
    admin_2 = c.password()
    reset_password, modified_password = c.password(), c.password()
    accepted = make_workbook(
        books / "mise-a-jour.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
        delegue_values={"password": admin_1, "new_password": admin_2, "new_password_confirm": admin_2},
        users={
            "td_interne": [
                c.secret_user("new.td", "td_interne", action="Créer"),
                {"action": "Réinitialiser mot de passe", "login": "hind.td", "password": reset_password,
                 "password_confirm": reset_password},
            ],
            "compte_adherent": [
                c.secret_user("new.ca", "compte_adherent", action="Créer"),
                c.secret_user("gen.ca", "compte_adherent", action="Créer", generated=True),
                {"action": "Modifier", "login": "sara.ca", "password": modified_password,
                 "password_confirm": modified_password, "question1": QUESTIONS[3], "answer1": c.answer(),
                 "question2": QUESTIONS[4], "answer2": c.answer(), "question3": QUESTIONS[5],
                 "answer3": c.answer()},
            ],
        },
        categories=[{"login": "new.td", "S0": "X"}])
    plant_in_hiding_places(accepted, c, [admin_1, admin_2, reset_password])

    # 4. Mise à jour, rejected for other cells (an email, a policy breach, a mismatch, questions in part).
    mismatch_a, mismatch_b = c.password(), c.password()
    rejected = make_workbook(
        books / "refuse.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
        delegue_values={"password": admin_2, "new_password": c.password(), "new_password_confirm": c.password()},
        users={
            "td_interne": [
                c.secret_user("bad.td", "td_interne", action="Créer", email="pas-une-adresse", nom=user_marker),
                c.secret_user("long.td", "td_interne", action="Créer", password=(p := c.long_password()),
                              password_confirm=p),
            ],
            "compte_adherent": [
                c.secret_user("mis.ca", "compte_adherent", action="Créer", password=mismatch_a,
                              password_confirm=mismatch_b),
                c.secret_user("half.ca", "compte_adherent", action="Créer", question3=None),
                {"action": "Réinitialiser mot de passe", "login": "sara.ca", "password": (r := c.password()),
                 "password_confirm": r},
            ],
        },
        categories=[{"login": "bad.td", "D": "X"}, {"login": "long.td", "D": "X"}])
    plant_in_hiding_places(rejected, c, [admin_2, mismatch_a])

    # 5. Contrôle seul: everything checked, nothing applied.
    admin_3 = c.password()
    controle = make_workbook(
        books / "controle.xlsx", adherent_values=adherent(type_demande="Contrôle seul"),
        delegue_values={"password": admin_2, "new_password": admin_3, "new_password_confirm": admin_3},
        users={"compte_adherent": [c.secret_user("ctl.ca", "compte_adherent", action="Créer")],
               "td_interne": [{"action": "Réinitialiser mot de passe", "login": "new.td",
                               "password": (q := c.password()), "password_confirm": q}]},
        categories=[])

    # 6. A wrong administrator password, itself a canary.
    auth_failed = make_workbook(
        books / "mauvais-mot-de-passe.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
        delegue_values={"password": c.password(), "new_password": (n := c.password()), "new_password_confirm": n},
        users={"compte_adherent": [c.secret_user("auth.ca", "compte_adherent", action="Créer")]},
        categories=[])
    plant_in_hiding_places(auth_failed, c, [n])

    # Through the real command line. The inbox rounds archive what they take and write the emails.
    service.run("process", abonnement)
    service.run("adherents", "activate", NUMERO)
    service.drop(accepted)
    service.run("serve", "--once")
    service.run("process", controle)
    again = books / "refuse-encore.xlsx"  # the same bytes under another name: a duplicate
    again.write_bytes(rejected.read_bytes())
    service.drop(rejected, auth_failed, again)
    service.run("serve", "--once")
    service.run("adherents", "reset-password", NUMERO)  # a new administrator password, generated
    service.run("serve", "--once")
    service.run("accounts", "list", "--json")
    status = service.run("status").stdout

    # The scenario did what it says: each outcome as expected, the annotated copy and the form written.
    reports = service.reports()
    # The service takes several files at once: which of the two copies comes first is chance.
    first, second = ("refuse.xlsx", "refuse-encore.xlsx")
    if ("refuse-encore.xlsx", "rejected") in reports:
        first, second = second, first
    assert set(reports) == {("abonnement.xlsx", "accepted"), ("mise-a-jour.xlsx", "accepted"),
                            (first, "rejected"), (second, "duplicate"),
                            ("mauvais-mot-de-passe.xlsx", "rejected"), ("controle.xlsx", "accepted")}, \
        {k: [e["code"] for e in r["errors"]] for k, r in reports.items()}
    assert {"INVALID_FORMAT", "PASSWORD_POLICY", "PASSWORD_MISMATCH", "SECRET_QUESTIONS"} <= {
        e["code"] for e in reports[(first, "rejected")]["errors"]}
    assert [e["code"] for e in reports[("mauvais-mot-de-passe.xlsx", "rejected")]["errors"]] == ["AUTH_FAILED"]
    assert list(service.outbox.glob("*/bordereau-annote.xlsx")), "no annotated copy was written"
    assert list(service.outbox.glob("*/formulaire-abonnement.pdf")), "no subscription form was written"
    kinds = {m.name.split("-")[1] for m in service.outbox.glob("mail/*.eml")}
    assert {"subscription_received", "accepted", "rejected", "controle"} <= kinds, kinds
    # No SMTP host: the emails that carry a generated password wait, encrypted, and `status` says so.
    assert not kinds & {"generated_password", "admin_password_reset"}, kinds
    generated = generated_passwords(service)
    assert len(generated) == 3, generated  # sara.ca, gen.ca and the administrator's
    assert "3 emails portant un mot de passe attendent un serveur SMTP" in status, status
    assert len(list(files_under(service.archive))) >= 3, "the inbox files were not archived"
    assert not list(files_under(service.inbox)), "a processed file stayed in the inbox"

    # Search everything.
    secret_needles = needles_of(c.secrets_)
    control_needles = needles_of(c.markers)
    typed = Finds()
    for path in files_under(books):
        scan(path.read_bytes(), path.name, secret_needles, typed)
    assert {text for _, text in typed.hits} == c.secrets_, "a canary is missing from the submitted workbooks"
    assert any("docProps/core.xml" in w for w, _ in typed.hits) and any("comments" in w for w, _ in typed.hits)

    secret_needles = needles_of(c.secrets_ | generated)  # the typed ones, and those the service made
    finds, controls = Finds(), Finds()
    for folder in (service.outbox, service.archive, service.inbox, service.var):
        for path in files_under(folder):
            blob = path.read_bytes()
            where = str(path.relative_to(service.root))
            scan(blob, where, secret_needles, finds)
            scan(blob, where, control_needles, controls)
    for name, blob in database_text(service):
        scan(blob, f"database:{name}", secret_needles, finds)
        scan(blob, f"database:{name}", control_needles, controls)
    printed = "\n".join(service.printed).encode("utf-8")
    scan(printed, "command output", secret_needles, finds)

    assert not finds.hits, "secrets written:\n" + "\n".join(f"{w}: {n}" for w, n in sorted(set(finds.hits)))

    # Positive controls: the search does look inside zips, decoded email parts and PDF streams.
    seen = {(where, needle) for where, needle in controls.hits}
    assert any(n == company_marker and ".pdf#text" in w for w, n in seen), "PDF text not searched"
    assert any(n == user_marker and "bordereau-annote.xlsx!xl/" in w for w, n in seen), "annotated copy not searched"
    assert any(n == user_marker and w.startswith("archive/") and "!xl/" in w for w, n in seen), "archive not searched"
    assert any(n == user_marker and ".eml#part" in w and "!xl/" in w for w, n in seen), "mail attachments not searched"
    assert any(n == company_marker and ".eml#part" in w and ".pdf#text" in w for w, n in seen), \
        "the form attached to the mail not searched"
    assert any(n == company_marker and w.startswith("database:") for w, n in seen), "database not searched"

