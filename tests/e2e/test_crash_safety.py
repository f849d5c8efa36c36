"""Kill `provisioner process` anywhere, run it again: nothing half-applied, nothing applied twice.

spec.md ("Exactly once": a crash at any point loses no submission and applies
none twice) and security.md ("Durability"). The product has no crash hook,
so a small driver runs the real command line (`provisioner process`) in a
subprocess after wrapping one pipeline function to `os._exit(137)` at a
chosen point: right after the hashing, inside the write transaction before
its commit, after the commit before any output, between two outputs, with a
temporary file written but not renamed, and after the outputs before the
submission is marked finished. A second test sends SIGKILL at random moments
to a real `provisioner process` working through a 200-row workbook.

After each kill, `provisioner process` runs again normally on the same files
and the store must be exactly what one uninterrupted run leaves (accounts,
categories, waiting users, audit rows, emails queued), with one submission
row per file, a complete report for each, and no temporary file left in
the outbox.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from provisioner.config import Settings
from provisioner.security.hashing import Hasher, verify_secret
from provisioner.service.context import ServiceContext
from provisioner.store.db import make_engine, upgrade
from provisioner.store.tables import (
    account_categories,
    accounts,
    adherents,
    audit,
    mail_queue,
    pending_users,
    requests,
    submissions,
)
from tests.factory import ADMIN_PASSWORD, adherent, delegue, make_workbook, user
from tests.service_env import run_provisioner, service_env

NUMERO, NEW_NUMERO = "123456", "654321"
NEW_ADMIN_PASSWORD = "Nouv2026"
KILLED = 137

# Runs the real command line after wrapping one function to die at its n-th call.
DRIVER = r'''
import os, sys

point, nth, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
calls = [0]

def die_at_nth_call():
    calls[0] += 1
    if calls[0] == nth:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(137)

import provisioner.reports.files as files
import provisioner.service.submission.apply as apply
import provisioner.service.submission.duplicate as duplicate
import provisioner.service.submission.finish as finish
import provisioner.service.submission.outputs as outputs
import provisioner.service.submission.pipeline as pipeline

if point == "after_hashing":  # the slow hashing is done, the write transaction not begun
    real_hash = pipeline.hash_plan
    def hash_plan(plan, admin_password, hasher, hashes=None):
        result = real_hash(plan, admin_password, hasher, hashes)
        if hashes is None:  # the hashing between the transactions, not the top-up inside
            die_at_nth_call()
        return result
    pipeline.hash_plan = hash_plan
elif point == "before_commit":  # everything written in the transaction, not committed
    real_apply = apply.apply_plan  # the pipeline calls it through its module
    def apply_plan(conn, judged, hashes):
        result = real_apply(conn, judged, hashes)
        die_at_nth_call()
        return result
    apply.apply_plan = apply_plan
elif point == "after_commit":  # committed, no output written
    real_outputs = outputs.write_outputs
    def write_outputs(ctx, outcome):
        die_at_nth_call()
        return real_outputs(ctx, outcome)
    finish.write_outputs = duplicate.write_outputs = write_outputs
elif point == "between_outputs":  # the annotated copy or the form written, not the reports
    real_json = outputs.write_report_json
    def write_report_json(report, folder):
        die_at_nth_call()
        return real_json(report, folder)
    outputs.write_report_json = write_report_json
elif point == "before_rename":  # a report's temporary file written and synced, not renamed
    import os as real_os
    class Os:
        def __getattr__(self, name):
            return getattr(real_os, name)
        def replace(self, src, dst):
            if real_os.path.basename(dst) == "rapport.json":  # counted on the reports alone
                die_at_nth_call()
            return real_os.replace(src, dst)
    files.os = Os()
elif point == "before_finished":  # every output written, finished_at not set
    real_outputs = outputs.write_outputs
    def write_outputs(ctx, outcome):
        real_outputs(ctx, outcome)
        die_at_nth_call()
    finish.write_outputs = duplicate.write_outputs = write_outputs
else:
    raise SystemExit(f"unknown point {point}")

from provisioner.cli import main
sys.argv = ["provisioner", *args]
main()
'''


# -- the service and its files ---------------------------------------------------------------

@dataclass
class Service:
    root: Path
    url: str
    engine: Engine

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def env(self, hash_workers: int = 1) -> dict[str, str]:
        return service_env(self.root, self.url, hash_workers=hash_workers)

    def process(self, *books: Path, expect: int | None = None) -> list[dict[str, Any]]:
        result = run_provisioner(self.root, self.env(), "process", "--json", *books, expect=expect)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def killed_at(self, point: str, nth: int, *books: Path) -> list[dict[str, Any]]:
        """Run `provisioner process` and die at `point`'s n-th call; returns what it printed first."""
        args = [sys.executable, "-c", DRIVER, point, str(nth), "process", "--json", *map(str, books)]
        result = subprocess.run(args, cwd=self.root, env=self.env(), capture_output=True, text=True, timeout=300)
        assert result.returncode == KILLED, f"not killed: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return [json.loads(line) for line in result.stdout.splitlines()]


def settings_for(root: Path, url: str) -> Settings:
    return Settings(database_url=url, outbox=root / "outbox", inbox=root / "inbox", archive=root / "archive",
                    var_dir=root / "var", hash_workers=1)


def seed(root: Path, url: str, books: Path) -> None:
    """An active company 123456 with three accounts, set up in-process as a real Abonnement + validation."""
    from provisioner.service.agence import subscriptions
    from provisioner.service.submission.pipeline import process_file

    books.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    ctx = ServiceContext(settings_for(root, url), engine, Hasher(1))
    try:
        outcome = process_file(ctx, make_workbook(books / "seed-abonnement.xlsx", users={
            "td_interne": [user("hind.td")], "compte_adherent": [user("sara.ca", "compte_adherent")],
            "eliquidation": [user("omar.el", "eliquidation")]}))
        assert outcome.status == "accepted", outcome.report["errors"]
        subscriptions.activate(ctx, NUMERO)
    finally:
        ctx.close()


def make_books(folder: Path) -> list[Path]:
    """The files of the killed run, in order: a new Abonnement, an accepted Mise à jour, a rejected one."""
    folder.mkdir(parents=True, exist_ok=True)
    subscription = make_workbook(
        folder / "a-abonnement.xlsx", adherent_values=adherent(numero=NEW_NUMERO, raison_sociale="Atlas Textile"),
        delegue_values=delegue(email="rh@atlas-textile.ma"), users={"td_interne": [user("karim.td")]},
        categories=[{"login": "karim.td", "S1": "X"}])
    update = make_workbook(
        folder / "b-mise-a-jour.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
        delegue_values={"password": ADMIN_PASSWORD, "new_password": NEW_ADMIN_PASSWORD,
                        "new_password_confirm": NEW_ADMIN_PASSWORD},
        users={"td_interne": [user("new.td", action="Créer"),  # a typed password
                              {"action": "Réinitialiser mot de passe", "login": "hind.td"}],  # generated
               "compte_adherent": [{"action": "Désactiver", "login": "sara.ca"}],
               "eliquidation": [{"action": "Modifier", "login": "omar.el", "fonction": "Chef comptable"}]},
        categories=[{"login": "new.td", "D": "X", "S2": "X"}])
    rejected = make_workbook(
        folder / "c-refuse.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
        delegue_values={"password": ADMIN_PASSWORD},
        users={"compte_adherent": [user("bad.ca", "compte_adherent", action="Créer", email="pas-une-adresse")]},
        categories=[])
    return [subscription, update, rejected]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded SQLite database, copied by each test (seeding hashes: do it once)."""
    root = tmp_path_factory.mktemp("seed")
    (root / "var").mkdir()
    seed(root, f"sqlite:///{(root / 'var' / 'provisioner.db').as_posix()}", root / "books")
    return root / "var"


@contextmanager
def sqlite_service(tmp_path: Path, seeded: Path) -> Iterator[Service]:
    """A service on a copy of a seeded SQLite database."""
    (tmp_path / "var").mkdir(parents=True)
    for db_file in seeded.glob("provisioner.db*"):
        shutil.copy2(db_file, tmp_path / "var" / db_file.name)
    url = f"sqlite:///{(tmp_path / 'var' / 'provisioner.db').as_posix()}"
    engine = make_engine(url)
    try:
        yield Service(tmp_path, url, engine)
    finally:
        engine.dispose()


@pytest.fixture
def service(tmp_path: Path, seeded: Path) -> Iterator[Service]:
    with sqlite_service(tmp_path, seeded) as svc:
        yield svc


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, seeded: Path) -> dict[str, Any]:
    """What one uninterrupted run leaves in the store."""
    root = tmp_path_factory.mktemp("reference")
    with sqlite_service(root, seeded) as svc:
        reports = svc.process(*make_books(root / "books"), expect=1)
        assert [r["status"] for r in reports] == ["accepted", "accepted", "rejected"], reports
        return snapshot(svc.engine)


# -- what the store holds, without ids, times and hashes -------------------------------------------

def snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        companies = sorted((r.numero, r.status, r.confirmations, r.failed_auth)
                           for r in conn.execute(select(adherents)))
        cats = Counter()
        for account_id, _ in conn.execute(select(account_categories.c.account_id,
                                                        account_categories.c.category)):
            cats[account_id] += 1
        users = sorted((r.login, r.teleservice, r.status, r.fonction, r.email, bool(r.password_hash),
                        cats[r.id]) for r in conn.execute(select(accounts)))
        waiting = sorted((r.login, r.teleservice) for r in conn.execute(select(pending_users)))
        files = sorted((r.file_name, r.status, r.request_type) for r in conn.execute(select(submissions)))
        trail = Counter((r.actor.split(":")[0], r.adherent_numero, r.action, r.target)
                        for r in conn.execute(select(audit)))
        mails = Counter((r.kind, tuple(sorted(r.recipients))) for r in conn.execute(select(mail_queue))
                        if r.kind != "duplicate")
        held = sorted((r.kind, r.status) for r in conn.execute(select(requests)))
    return {"companies": companies, "accounts": users, "waiting": waiting, "submissions": files,
            "audit": dict(trail), "mails": dict(mails), "requests": held}


def admin_hash(engine: Engine, numero: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(adherents.c.admin_password_hash).where(adherents.c.numero == numero)
                            ).scalar_one_or_none()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submission_rows(engine: Engine, sha: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(select(submissions).where(submissions.c.sha256 == sha)).all()


def applied_effects(snap: dict[str, Any]) -> dict[str, bool]:
    """Each file's effects, one flag per effect: a file is all True or all False, never mixed."""
    logins = {a[0]: a for a in snap["accounts"]}
    return {
        "a-abonnement.xlsx": [NEW_NUMERO in {c[0] for c in snap["companies"]},
                              ("karim.td", "td_interne") in snap["waiting"],
                              ("submission", NEW_NUMERO, "subscribe", NEW_NUMERO) in snap["audit"]],
        "b-mise-a-jour.xlsx": ["new.td" in logins,
                               logins["sara.ca"][2] == "disabled", logins["omar.el"][3] == "Chef comptable",
                               ("submission", NUMERO, "admin_password", NUMERO) in snap["audit"],
                               ("submission", NUMERO, "reset_password", "td_interne:hind.td") in snap["audit"]],
    }


def assert_all_or_nothing(snap: dict[str, Any]) -> dict[str, bool]:
    state = {}
    for name, flags in applied_effects(snap).items():
        assert all(flags) or not any(flags), f"{name} half-applied: {flags}"
        state[name] = all(flags)
    return state


def assert_outbox_complete(service: Service, books: list[Path]) -> None:
    """One finished submission per file, each with a complete report."""
    for book in books:
        rows = submission_rows(service.engine, sha256(book))
        assert len(rows) == 1, f"{book.name}: {len(rows)} submission rows"
        row = rows[0]
        assert row.finished_at is not None, f"{book.name}: never marked finished"
        folder = service.outbox / row.id
        report = json.loads((folder / "rapport.json").read_text(encoding="utf-8"))
        assert (report["submission_id"], report["file"], report["sha256"]) == (row.id, book.name, row.sha256)
        assert report["status"] == ("accepted" if row.status == "held" else row.status)
        assert {"schema", "received_at", "adherent", "request_type", "errors", "warnings", "changes"} <= set(report)
        assert (folder / "rapport.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
        if report["status"] == "rejected":
            with zipfile.ZipFile(folder / "bordereau-annote.xlsx") as annotated:
                assert annotated.testzip() is None
        if report["status"] == "accepted" and report["request_type"] == "abonnement":
            pdf = (folder / "formulaire-abonnement.pdf").read_bytes()
            assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def assert_no_temporary_files(service: Service) -> None:
    strays = [p.relative_to(service.outbox) for p in service.outbox.rglob("*")
              if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert not strays, f"temporary files left in the outbox: {strays}"


# -- killed at a chosen point ----------------------------------------------------------------------

KILL_POINTS = [
    # (point, n-th call, the file in hand when killed, committed when killed)
    pytest.param("after_hashing", 2, "b-mise-a-jour.xlsx", False, id="after-hashing"),
    pytest.param("before_commit", 1, "a-abonnement.xlsx", False, id="before-commit-abonnement"),
    pytest.param("before_commit", 2, "b-mise-a-jour.xlsx", False, id="before-commit-mise-a-jour"),
    pytest.param("after_commit", 2, "b-mise-a-jour.xlsx", True, id="after-commit-before-outputs"),
    pytest.param("after_commit", 3, "c-refuse.xlsx", True, id="after-commit-rejected"),
    pytest.param("between_outputs", 1, "a-abonnement.xlsx", True, id="form-written-not-the-report"),
    # a-abonnement's rapport.json is the first renamed, b's the second (other files are not counted).
    pytest.param("before_rename", 2, "b-mise-a-jour.xlsx", True, id="temporary-file-not-renamed"),
    pytest.param("before_finished", 1, "a-abonnement.xlsx", True, id="outputs-written-not-finished"),
]


@pytest.mark.parametrize(("point", "nth", "victim", "committed"), KILL_POINTS)
def test_a_kill_then_a_rerun_applies_every_file_exactly_once(
        service: Service, reference: dict[str, Any], point: str, nth: int, victim: str, committed: bool) -> None:
    books = make_books(service.root / "books")
    names = [b.name for b in books]
    before_admin = admin_hash(service.engine, NUMERO)

    printed = service.killed_at(point, nth, *books)

    # Killed where intended: the files before the victim finished, the victim did not.
    assert [r["file"] for r in printed] == names[:names.index(victim)]
    after_kill = snapshot(service.engine)
    state = assert_all_or_nothing(after_kill)
    victim_rows = submission_rows(service.engine, sha256(books[names.index(victim)]))
    if committed:
        assert len(victim_rows) == 1 and victim_rows[0].finished_at is None
        assert state.get(victim, True), f"{victim}: its transaction committed, its effects are missing"
    else:
        assert victim_rows == [], f"{victim}: a submission row survived an uncommitted transaction"
        assert state.get(victim) is False, f"{victim}: effects survived an uncommitted transaction"
    if victim == "b-mise-a-jour.xlsx" and not committed:
        assert admin_hash(service.engine, NUMERO) == before_admin

    reports = service.process(*books, expect=1)

    assert [r["file"] for r in reports] == names
    for name, report in zip(names, reports):
        finished_before = names.index(name) < names.index(victim)
        expected = "rejected" if name == "c-refuse.xlsx" else "accepted"
        assert report["status"] == ("duplicate" if finished_before else expected), (name, report["errors"])
    final = snapshot(service.engine)
    logins = [a[0] for a in final["accounts"]]
    assert len(logins) == len(set(logins)), "an account exists twice"
    assert final == reference
    assert verify_secret(admin_hash(service.engine, NUMERO), NEW_ADMIN_PASSWORD)
    assert_outbox_complete(service, books)
    if point == "after_commit" and nth == 2:  # once is enough: a third run changes nothing
        again = service.process(*books, expect=0)
        assert [r["status"] for r in again] == ["duplicate"] * 3
        assert snapshot(service.engine) == reference
    assert_no_temporary_files(service)


@pytest.mark.postgres
def test_a_kill_inside_the_transaction_on_postgresql_applies_nothing(tmp_path: Path, pg_url: str) -> None:
    seed(tmp_path, pg_url, tmp_path / "seed")
    engine = make_engine(pg_url)
    service = Service(tmp_path, pg_url, engine)
    try:
        books = make_books(tmp_path / "books")
        before = snapshot(engine)

        printed = service.killed_at("before_commit", 1, books[1])

        assert printed == []
        assert snapshot(engine) == before
        assert submission_rows(engine, sha256(books[1])) == []
        [report] = service.process(books[1], expect=0)
        assert report["status"] == "accepted"
        after = snapshot(engine)
        assert assert_all_or_nothing(after)["b-mise-a-jour.xlsx"]
        assert sum(1 for a in after["accounts"] if a[0] == "new.td") == 1
        assert all(count == 1 for (kind, *_), count in after["audit"].items() if kind == "submission")
        assert_outbox_complete(service, [books[1]])
        assert_no_temporary_files(service)
    finally:
        engine.dispose()


# -- SIGKILL at random moments ---------------------------------------------------------------------

BIG_ROWS = 200
RANDOM_KILLS = 2
KILL_SPAN = (0.45, 1.0)  # kill moments, as fractions of an uninterrupted run (its first ~half is start-up)


@pytest.fixture(scope="module")
def big_seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Company 123456 with 200 accounts. Seeding hashes with cheap argon2 parameters (test setup only:
    any argon2 hash verifies); the run under test hashes with the real ones."""
    import argon2

    from provisioner.security import hashing

    root = tmp_path_factory.mktemp("big-seed")
    (root / "var").mkdir()
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=argon2.Type.ID)
    real, hashing._hasher = hashing._hasher, cheap
    try:
        from provisioner.service.agence import subscriptions
        from provisioner.service.submission.pipeline import process_file

        url = f"sqlite:///{(root / 'var' / 'provisioner.db').as_posix()}"
        engine = make_engine(url)
        upgrade(engine)
        # An Abonnement carries 100 users by default: this seed is the operator's own, and bigger.
        ctx = ServiceContext(replace(settings_for(root, url), abonnement_max_users=BIG_ROWS), engine, Hasher(1))
        try:
            rows = [user(f"agent{i:03d}.ca", "compte_adherent") for i in range(BIG_ROWS)]
            outcome = process_file(ctx, make_workbook(root / "abonnement.xlsx", users={"compte_adherent": rows},
                                                      categories=[]))
            assert outcome.status == "accepted", outcome.report["errors"][:3]
            subscriptions.activate(ctx, NUMERO)
        finally:
            ctx.close()
    finally:
        hashing._hasher = real
    return root / "var"


def big_update(folder: Path) -> Path:
    """190 accounts modified, 10 created (hashed for real, over two workers): a long write transaction."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"action": "Modifier", "login": f"agent{i:03d}.ca", "fonction": f"Agent {i} (modifié)"}
            for i in range(BIG_ROWS - 10)]
    rows += [user(f"recrue{i:02d}.ca", "compte_adherent", action="Créer", password=None, password_confirm=None)
             for i in range(10)]
    return make_workbook(folder / "gros-bordereau.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
                         delegue_values={"password": ADMIN_PASSWORD}, users={"compte_adherent": rows},
                         categories=[])


def modified_and_created(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        fonctions = conn.execute(select(accounts.c.login, accounts.c.fonction)).all()
    modified = sum(1 for _, fonction in fonctions if fonction.endswith("(modifié)"))
    created = sum(1 for login, _ in fonctions if login.startswith("recrue"))
    return modified, created


def test_sigkill_at_random_moments_then_a_rerun_applies_the_200_rows_exactly_once(
        tmp_path: Path, big_seeded: Path) -> None:
    rng = random.Random()
    seed_value = rng.randrange(1 << 30)
    rng.seed(seed_value)
    # How long an uninterrupted run takes here and now: the kills are spread over that time.
    with sqlite_service(tmp_path / "uninterrupted", big_seeded) as svc:
        started = time.monotonic()
        [report] = svc.process(big_update(svc.root / "books"), expect=0)
        duration = time.monotonic() - started
        assert report["status"] == "accepted", report["errors"][:3]
    low, high = (duration * f for f in KILL_SPAN)
    step = (high - low) / RANDOM_KILLS
    outcomes = []
    for attempt in range(RANDOM_KILLS):
        with sqlite_service(tmp_path / f"attempt{attempt}", big_seeded) as svc:
            book = big_update(svc.root / "books")
            delay = rng.uniform(low + attempt * step, low + (attempt + 1) * step)
            process = subprocess.Popen([sys.executable, "-m", "provisioner", "process", "--json", str(book)],
                                       cwd=svc.root, env=svc.env(hash_workers=2), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, start_new_session=True)
            time.sleep(delay)
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the command and its hashing workers
            except ProcessLookupError:
                pass  # it finished first: the rerun must then be a duplicate
            process.communicate(timeout=60)
            context = (f"seed {seed_value}, attempt {attempt}, killed after {delay:.2f} s of {duration:.2f} s "
                       f"(exit {process.returncode})")

            modified, created = modified_and_created(svc.engine)
            assert (modified, created) in ((0, 0), (BIG_ROWS - 10, 10)), f"half-applied ({context})"
            committed = len(submission_rows(svc.engine, sha256(book)))
            assert committed == (modified > 0), f"submission row and changes disagree ({context})"
            outcomes.append((process.returncode, committed))

            [report] = svc.process(book, expect=0)
            assert report["status"] in ("accepted", "duplicate"), (context, report["errors"][:3])
            assert modified_and_created(svc.engine) == (BIG_ROWS - 10, 10), context
            with svc.engine.connect() as conn:
                logins = conn.execute(select(accounts.c.login)).scalars().all()
                trail = Counter((r.action, r.target) for r in conn.execute(
                    select(audit).where(audit.c.actor.like("submission:%"))))
                mails = Counter(r.kind for r in conn.execute(select(mail_queue)) if r.kind != "duplicate")
            assert len(logins) == len(set(logins)) == BIG_ROWS + 10, context
            assert set(trail.values()) == {1}, f"audit rows doubled ({context})"
            assert sum(trail.values()) == BIG_ROWS + 1, context  # 200 account changes + the subscription
            assert mails["generated_password"] == 10, context
            assert_outbox_complete(svc, [book])
            assert_no_temporary_files(svc)
    # At least one kill landed before the end (the others may have come too early or too late).
    assert any(code == -signal.SIGKILL for code, _ in outcomes), (seed_value, duration, outcomes)
