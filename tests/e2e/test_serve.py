"""`provisioner serve` as it runs for real: a subprocess on a temporary inbox.

Each test starts the service (SQLite under tmp_path, or PostgreSQL for two
instances), drops files as a person or a script would, and asserts on what
a user sees: the reports in the outbox, the archive, the emails, the
inbox left empty, the rows in the store.
"""

from __future__ import annotations

import json
import os
import signal
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from provisioner.service.intake.rounds import PARALLEL_FILES
from tests import factory
from tests.service_env import Serve, Started, service_env, wait_for

POLL = 0.5
ADMIN_CANARY = "Adm1nCnry7"  # 10 letters and digits: a valid password, unique in every output
USER_CANARY = "Usr1Cnry9"
ANSWER_CANARIES = ("RepCanaryUn", "RepCanaryDeux", "RepCanaryTrois")
NOTIFY = "cabinet@fiduciaire-exemple.ma"


# -- helpers -------------------------------------------------------------------------------


def serve_env(root: Path, db_url: str, hash_workers: int = 1) -> dict[str, str]:
    return service_env(root, db_url, hash_workers=hash_workers, PROVISIONER_POLL_SECONDS=str(POLL))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("inbox", "outbox", "archive", "var"):
        (tmp_path / folder).mkdir()
    return tmp_path


@pytest.fixture
def sqlite(root: Path) -> str:
    return f"sqlite:///{(root / 'var' / 'provisioner.db').as_posix()}"


@pytest.fixture
def serve(root: Path, sqlite: str) -> Iterator[Callable[..., Serve]]:
    started = Started(root)

    def start(db_url: str = sqlite, name: str = "serve", hash_workers: int = 1) -> Serve:
        return started.start(serve_env(root, db_url, hash_workers), name)

    yield start
    started.kill_all()


def reports(root: Path) -> list[dict[str, Any]]:
    found = []
    for path in (root / "outbox").glob("*/rapport.json"):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:  # never half a file (written then renamed), but be safe
            continue
    return found


def company(path: Path, numero: str, *, login: str | None = None, **adherent: Any) -> Path:
    """A valid Abonnement for `numero`, one télédéclaration user."""
    login = login or f"td.{numero}"
    return factory.make_workbook(path, adherent_values=factory.adherent(numero=numero, **adherent),
                                 users={"td_interne": [factory.user(login)]},
                                 categories=[{"login": login, "D": "X", "S0": "X"}])


def drop(src: Path, inbox: Path, name: str | None = None) -> Path:
    """Put a finished file into the inbox at once, as a copy-then-rename would."""
    target = inbox / (name or src.name)
    os.replace(src, target)
    return target


def unzipped_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(info).decode("utf-8", "replace") for info in archive.infolist())


def count(db_url: str, sql: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


# -- tests ---------------------------------------------------------------------------------


def test_a_dropped_workbook_is_reported_archived_without_secrets_and_mailed(root: Path, serve) -> None:
    inbox, staging = root / "inbox", root / "staging"
    staging.mkdir()
    secret_user = factory.user("hind.td", password=USER_CANARY, password_confirm=USER_CANARY,
                               answer1=ANSWER_CANARIES[0], answer2=ANSWER_CANARIES[1],
                               answer3=ANSWER_CANARIES[2])
    factory.make_workbook(staging / "bordereau.xlsx",
                          delegue_values=factory.delegue(password=ADMIN_CANARY, password_confirm=ADMIN_CANARY),
                          users={"td_interne": [secret_user]})
    company(staging / "lock.xlsx", "222222")
    company(staging / "hidden.xlsx", "333333")
    outside = company(root / "outside.xlsx", "444444")
    drop(staging / "bordereau.xlsx", inbox)
    drop(staging / "lock.xlsx", inbox, "~$lock.xlsx")
    drop(staging / "hidden.xlsx", inbox, ".hidden.xlsx")
    (inbox / "lien.xlsx").symlink_to(outside)
    (inbox / "sous-dossier").mkdir()
    service = serve()

    found = wait_for(lambda: reports(root), 30, service)
    wait_for(lambda: not (inbox / "bordereau.xlsx").exists() and list((root / "outbox" / "mail").glob("*.eml")),
             10, service)
    time.sleep(4 * POLL)  # the ignored files had every chance to be taken
    assert service.stop() == 0

    assert [(r["file"], r["status"]) for r in found] == [("bordereau.xlsx", "accepted")]
    assert len(reports(root)) == 1
    assert sorted(p.name for p in inbox.iterdir()) == [".hidden.xlsx", "lien.xlsx", "sous-dossier", "~$lock.xlsx"]
    assert outside.exists()  # the symlink was never followed nor moved
    archived = list((root / "archive").rglob("*.xlsx"))
    assert [p.name for p in archived] == [f"{found[0]['submission_id']}.xlsx"]
    copy = unzipped_text(archived[0])
    assert "Berrada" in copy and "hind.td" in copy  # the values read are there...
    outputs = [copy] + [p.read_text(errors="replace") for p in (root / "outbox").rglob("*")
                        if p.is_file() and p.suffix in (".json", ".html", ".eml")]
    for canary in (ADMIN_CANARY, USER_CANARY, *ANSWER_CANARIES):  # ...the secrets are not
        assert not [o for o in outputs if canary in o], canary
    assert "poll files=1 accepted=1" in service.text()
    assert not list((root / "var" / "work").rglob("C*"))  # nothing left in the work folders


def test_a_file_written_slowly_is_taken_only_once_finished(root: Path, serve) -> None:
    data = company(root / "complet.xlsx", "555555").read_bytes()
    service = serve()
    time.sleep(2)  # the service is polling
    with (root / "inbox" / "lent.xlsx").open("wb") as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
        time.sleep(2 * POLL)
        handle.write(data[len(data) // 2:])
    found = wait_for(lambda: reports(root), 30, service)
    assert service.stop() == 0
    assert [(r["file"], r["status"], r["errors"]) for r in found] == [("lent.xlsx", "accepted", [])]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=["sigterm", "sighup", "sigkill"])
def test_a_stopped_service_loses_nothing_and_applies_nothing_twice(root: Path, sqlite: str, serve,
                                                                    sig: int) -> None:
    files = 3 * PARALLEL_FILES  # several rounds of files in hand, so the stop lands mid-way
    staging = root / "staging"
    staging.mkdir()
    for i in range(files):
        drop(company(staging / f"client-{i}.xlsx", f"{610000 + i}"), root / "inbox")
    first = serve()
    wait_for(lambda: reports(root), 30, first)
    if sig != signal.SIGKILL:  # SIGHUP too (issue 20, point 7: it killed the service before)
        assert first.stop(sig) == 0  # the files in hand are finished, then a clean exit
        assert "service stopped" in first.tail()
    else:
        first.stop(sig)
    assert len(reports(root)) < files, "stopped too late to test anything"

    second = serve()
    wait_for(lambda: len(reports(root)) >= files and not list((root / "inbox").iterdir()), 60, second)
    time.sleep(2 * POLL)
    assert second.stop() == 0

    per_file = Counter(r["file"] for r in reports(root))
    assert per_file == {f"client-{i}.xlsx": 1 for i in range(files)}
    assert {r["status"] for r in reports(root)} == {"accepted"}
    assert count(sqlite, "SELECT count(*) FROM submissions") == files
    assert count(sqlite, "SELECT count(DISTINCT sha256) FROM submissions") == files
    assert count(sqlite, "SELECT count(*) FROM adherents") == files
    assert count(sqlite, "SELECT count(*) FROM pending_users") == files
    assert count(sqlite, "SELECT count(*) FROM submissions WHERE finished_at IS NULL") == 0
    assert len(list((root / "archive").rglob("*.xlsx"))) == files
    assert not list((root / "var" / "work").rglob("C*"))  # no file left claimed


def test_ctrl_c_in_a_terminal_finishes_the_files_in_hand_without_a_traceback(root: Path, sqlite: str,
                                                                             serve) -> None:
    # Ctrl-C signals the whole process group: the hash pool's workers too.
    files = 2 * PARALLEL_FILES
    staging = root / "staging"
    staging.mkdir()
    for i in range(files):
        drop(company(staging / f"client-{i}.xlsx", f"{620000 + i}"), root / "inbox")
    service = serve(hash_workers=2)
    wait_for(lambda: reports(root), 30, service)
    assert service.process is not None
    os.killpg(service.process.pid, signal.SIGINT)
    assert service.process.wait(60) == 0
    log = service.text()
    assert "service stopped" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-3000:]
    # What was taken was finished: every claimed file has its report, nothing half-way.
    assert count(sqlite, "SELECT count(*) FROM submissions WHERE finished_at IS NULL") == 0
    assert not list((root / "var" / "work").rglob("C*"))  # no file left claimed
    assert len(reports(root)) + len(list((root / "inbox").iterdir())) == files


def test_a_zip_batch_gets_one_report_per_workbook_and_a_summary(root: Path, sqlite: str, serve) -> None:
    staging = root / "staging"
    staging.mkdir()
    first = company(staging / "a.xlsx", "710001", email_notification=NOTIFY)
    second = company(staging / "b.xlsx", "710002", email_notification=NOTIFY)
    with zipfile.ZipFile(staging / "lot.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(first, "clients/Société A.xlsx")
        archive.writestr("clients/", b"")
        archive.write(second, "b.xlsx")
        archive.writestr("cassé.xlsx", b"ceci n'est pas un classeur")
        archive.writestr("__MACOSX/clients/._Société A.xlsx", b"\x00\x05\x16\x07")
        archive.writestr(".DS_Store", b"\x00")
    drop(staging / "lot.zip", root / "inbox", "envoi fiduciaire.zip")
    service = serve()

    summaries = wait_for(lambda: list((root / "outbox").glob("lot-*/synthese.json")), 40, service)
    wait_for(lambda: list((root / "outbox" / "mail").glob("*batch_summary*.eml")), 10, service)
    assert service.stop() == 0

    summary = json.loads(summaries[0].read_text(encoding="utf-8"))
    lines = [(w["index"], w["file"], w["adherent"], w["status"]) for w in summary["workbooks"]]
    assert lines == [(1, "Société A.xlsx", "710001", "accepted"), (3, "b.xlsx", "710002", "accepted"),
                     (4, "cassé.xlsx", None, "rejected")]
    by_file = {r["file"]: r for r in reports(root)}
    assert set(by_file) == {"Société A.xlsx", "b.xlsx", "cassé.xlsx"}
    assert {r["batch"] for r in by_file.values()} == {summary["batch"]}
    assert by_file["cassé.xlsx"]["errors"][0]["code"] == "FILE_UNREADABLE"
    html = (summaries[0].parent / "synthese.html").read_text(encoding="utf-8")
    for report in by_file.values():
        assert f'href="../{report["submission_id"]}/rapport.html"' in html
        assert (root / "outbox" / report["submission_id"] / "rapport.html").exists()
    assert "Société A.xlsx" in html and "envoi fiduciaire.zip" in html
    mail = next((root / "outbox" / "mail").glob("*batch_summary*.eml")).read_text(errors="replace")
    assert NOTIFY in mail
    assert not list((root / "inbox").iterdir())  # the zip is gone...
    assert len(list((root / "archive").rglob("*.xlsx"))) == 2  # ...its workbooks archived as rebuilt copies
    assert [p.name for p in (root / "var" / "quarantine").glob("*.json")] == [
        f"{by_file['cassé.xlsx']['submission_id']}-xlsx.json"]
    assert count(sqlite, "SELECT count(*) FROM submissions WHERE batch_id IS NOT NULL") == 3


@pytest.mark.postgres
def test_two_instances_on_one_inbox_take_each_file_exactly_once(root: Path, pg_url: str, serve) -> None:
    # 100 files: every tenth a real Contrôle seul workbook (through the whole pipeline), the others
    # tiny distinct files that are not workbooks (rejected FILE_UNREADABLE, quarantined): what is
    # tested is the race for the files, and a real workbook costs a second of checks on a busy host.
    files = 100
    staging = root / "staging"
    staging.mkdir()
    for i in range(files):
        path = staging / f"f{i:03d}.xlsx"
        if i % 10 == 0:
            numero = f"{900000 + i}"
            factory.make_workbook(path, adherent_values=factory.adherent(numero=numero, type_demande="Contrôle seul"),
                                  users={"td_interne": [factory.user(f"td.{numero}")]},
                                  categories=[{"login": f"td.{numero}", "D": "X"}])
        else:
            path.write_bytes(f"pas un classeur n° {i}".encode())
    services = (serve(pg_url, "a"), serve(pg_url, "b"))
    time.sleep(1)
    for i in range(files):
        drop(staging / f"f{i:03d}.xlsx", root / "inbox")
    wait_for(lambda: len(reports(root)) >= files and not list((root / "inbox").iterdir()), 80, *services)
    time.sleep(2 * POLL)
    assert [s.stop() for s in services] == [0, 0]

    found = reports(root)
    assert Counter(r["file"] for r in found) == {f"f{i:03d}.xlsx": 1 for i in range(files)}
    codes = Counter(r["errors"][0]["code"] for r in found)
    assert codes == {"AUTH_FAILED": files // 10, "FILE_UNREADABLE": files - files // 10}
    assert count(pg_url, "SELECT count(*) FROM submissions") == files
    assert count(pg_url, "SELECT count(DISTINCT sha256) FROM submissions") == files
    assert not list((root / "var" / "work").rglob("C*"))  # no file left claimed
    assert len(list((root / "var" / "quarantine").glob("*.json"))) == files - files // 10
    shares = [s.text().count("provisioner.service.submission.pipeline submission id=") for s in services]
    assert sum(shares) == files and all(shares), f"one instance did all the work: {shares}"


# -- in process: what is hard to provoke from outside -----------------------------------------


@pytest.fixture
def service(root: Path, sqlite: str) -> Iterator[Any]:
    from provisioner.config import load_settings
    from provisioner.service.context import open_context
    from provisioner.service.intake.rounds import Service

    env = serve_env(root, sqlite)
    ctx = open_context(load_settings(env, Path("/nonexistent")))
    with ctx, Service(ctx, show_progress=False) as running:
        yield running


def settle(*paths: Path) -> None:
    """Make files look finished long ago, so that two polls take them."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def test_zip_members_are_known_by_their_base_name_only(root: Path, service: Any) -> None:
    staging = root / "staging"
    staging.mkdir()
    with zipfile.ZipFile(staging / "lot.zip", "w") as archive:
        archive.write(company(staging / "a.xlsx", "720001"), "../../evil.xlsx")
        archive.write(company(staging / "b.xlsx", "720002"), "..\\..\\windows.xlsx")
        archive.writestr("notes.txt", b"bonjour")
    settle(drop(staging / "lot.zip", root / "inbox"))
    service.poll_once()
    assert service.poll_once() == 1

    found = {r["file"]: r["status"] for r in reports(root)}
    assert found == {"evil.xlsx": "accepted", "windows.xlsx": "accepted", "notes.txt": "rejected"}
    assert not list(root.parent.glob("evil.xlsx")) and not list(root.rglob("evil.xlsx"))


def test_a_zip_bomb_is_refused_whole_and_quarantined(root: Path, service: Any) -> None:
    bomb = root / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xlsx", b"ok")
        with archive.open("big.xlsx", "w") as member:
            for _ in range(40):
                member.write(bytes(1024 * 1024))
    settle(drop(bomb, root / "inbox"))
    service.poll_once()
    service.poll_once()

    summary = json.loads(next((root / "outbox").glob("lot-*/synthese.json")).read_text(encoding="utf-8"))
    assert (summary["status"], summary["errors"][0]["code"], summary["workbooks"]) == (
        "refused", "FILE_TOO_LARGE", [])
    assert reports(root) == []
    assert [p.name for p in (root / "var" / "quarantine").glob("*.json")] == [f"{summary['batch']}-zip.json"]
    assert not list((root / "inbox").iterdir())


def test_a_file_that_breaks_the_pipeline_is_quarantined_and_the_loop_goes_on(
        root: Path, service: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import provisioner.service.submission.pipeline as pipeline

    real = pipeline.process_file

    def flaky(ctx: Any, path: Path, *, name: str | None = None, **given: Any) -> Any:
        if name == "boum.xlsx":
            raise ValueError(f"a value from the file: {ADMIN_CANARY}")
        return real(ctx, path, name=name, **given)

    monkeypatch.setattr(pipeline, "process_file", flaky)
    staging = root / "staging"
    staging.mkdir()
    settle(drop(company(staging / "boum.xlsx", "730001"), root / "inbox"),
           drop(company(staging / "sain.xlsx", "730002"), root / "inbox"))
    service.poll_once()
    assert service.poll_once() == 2

    assert [r["file"] for r in reports(root)] == ["sain.xlsx"]
    assert len(list((root / "var" / "quarantine").glob("*.json"))) == 1
    assert not list((root / "inbox").iterdir())
    assert "error=ValueError" in caplog.text and ADMIN_CANARY not in caplog.text
