"""What the inbox takes, and when: any file name, files still being written, workbooks held open.

The service runs in this process (`poll_once`, driven by the test) where the
timing is the test's to set, and as a real `serve` subprocess for the slow
writer, whose timing is the point.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import POLL, company, drop, reports, serve_env, settle
from tests.service_env import Serve, run_provisioner, service_env, wait_for

NOT_UTF8 = os.fsdecode(b"r\xe9sum\xe9.xlsx")  # Latin-1 bytes, as an SMB share or a zip tool leaves them
CONTROL = "ligne\nsuivante\x1b[31m.xlsx"
LONG = "é" * 120 + ".xlsx"  # 245 bytes: near the file system's limit of 255


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("inbox", "outbox", "archive", "var", "staging"):
        (tmp_path / folder).mkdir()
    return tmp_path


def start_service(root: Path, **extra: str) -> Any:
    from provisioner.config import load_settings
    from provisioner.service.context import open_context
    from provisioner.service.intake.rounds import Service

    ctx = open_context(load_settings(service_env(root, **extra), Path("/nonexistent")))
    return ctx, Service(ctx, show_progress=False)


@pytest.fixture
def service(root: Path) -> Iterator[Any]:
    ctx, running = start_service(root)
    with ctx, running:
        yield running


def left_behind(root: Path) -> list[Path]:
    """Temporary files and claimed files that a round left in the work folders."""
    work = root / "var" / "work"
    return [p for p in work.rglob("*") if p.suffix == ".tmp" or p.name.startswith("C")]


# -- any file name --------------------------------------------------------------------------


def test_any_file_name_is_processed_shown_escaped_and_blocks_nothing(root: Path, service: Any) -> None:
    inbox, staging = root / "inbox", root / "staging"
    names = {NOT_UTF8: "810001", CONTROL: "810002", LONG: "810003", "ordinaire.xlsx": "810004"}
    for i, (name, numero) in enumerate(names.items()):
        path = drop(company(staging / f"{numero}.xlsx", numero), inbox, name)
        past = time.time() - 600 + i  # the awkward names first: they must not hold up the others
        os.utime(path, (past, past))

    service.poll_once()
    assert service.poll_once() == len(names)

    found = {r["file"]: (r["adherent"], r["status"]) for r in reports(root)}
    assert found == {
        "r\\xe9sum\\xe9.xlsx": ("810001", "accepted"),
        "ligne\\nsuivante\\x1b[31m.xlsx": ("810002", "accepted"),
        LONG: ("810003", "accepted"),
        "ordinaire.xlsx": ("810004", "accepted"),
    }
    assert not list(inbox.iterdir())
    assert left_behind(root) == []
    html = [p.read_text(encoding="utf-8") for p in (root / "outbox").glob("*/rapport.html")]
    assert any("r\\xe9sum\\xe9.xlsx" in page for page in html)


def test_a_failing_sidecar_write_leaves_no_temp_file(tmp_path: Path) -> None:
    from provisioner.service.intake.workspace import _write_json

    with pytest.raises(UnicodeEncodeError):
        _write_json(tmp_path / "C1.json", {"name": "\udce9"})  # what a raw non-UTF-8 name did
    assert list(tmp_path.iterdir()) == []


def test_process_on_a_file_whose_name_is_not_utf8_reports_it_escaped(root: Path) -> None:
    path = drop(company(root / "staging" / "a.xlsx", "820001"), root / "staging", NOT_UTF8)
    env = service_env(root)

    result = run_provisioner(root, env, "process", Path(path))
    assert result.stdout.startswith("r\\xe9sum\\xe9.xlsx: accepted"), result.stdout
    assert path.exists()  # `process` leaves the named file where it is
    check = run_provisioner(root, env, "check", "--json", Path(path))
    assert json.loads(check.stdout)["file"] == "r\\xe9sum\\xe9.xlsx"

    [report] = reports(root)
    assert (report["file"], report["status"]) == ("r\\xe9sum\\xe9.xlsx", "accepted")


# -- files still being written --------------------------------------------------------------


@pytest.mark.slow
def test_a_writer_that_pauses_mid_file_gets_its_workbook_taken_once_complete(root: Path) -> None:
    data = company(root / "staging" / "complet.xlsx", "830001").read_bytes()
    service = Serve(root, serve_env(root, f"sqlite:///{(root / 'var' / 'provisioner.db').as_posix()}")).start()
    try:
        wait_for(lambda: "service started" in service.text(), 30, service)

        def slow_writer() -> None:  # a VPN or SMB copy that stalls for longer than the stability window
            with (root / "inbox" / "lent.xlsx").open("wb") as handle:
                handle.write(data[: len(data) // 2])
                handle.flush()
                time.sleep(5)
                # On a loaded host, stall until the service has surely looked at the half file.
                wait_for(lambda: "lent.xlsx is still being written" in service.text(), 30)
                handle.write(data[len(data) // 2:])

        writer = threading.Thread(target=slow_writer)
        writer.start()
        writer.join()
        found = wait_for(lambda: reports(root), 30, service)
        time.sleep(4 * POLL)
        assert service.stop() == 0
    finally:
        if service.alive():
            service.kill9()
    assert [(r["file"], r["status"], r["errors"]) for r in found] == [("lent.xlsx", "accepted", [])]
    assert len(reports(root)) == 1
    assert not list((root / "var" / "quarantine").iterdir())


def test_a_half_written_workbook_waits_until_untouched_for_the_configured_time(root: Path) -> None:
    data = company(root / "staging" / "complet.xlsx", "840001").read_bytes()
    half = root / "inbox" / "moitie.xlsx"
    half.write_bytes(data[: len(data) // 2])
    ctx, running = start_service(root, PROVISIONER_INCOMPLETE_AFTER_SECONDS="120")
    with ctx, running:
        settle(half)  # a minute ago: stable for the two looks, but within the 120 s
        running.poll_once()
        assert running.poll_once() == 0
        assert half.exists() and reports(root) == []

        past = time.time() - 121
        os.utime(half, (past, past))
        running.poll_once()  # a new mtime: two looks again
        assert running.poll_once() == 1

    [report] = reports(root)
    assert (report["file"], report["status"]) == ("moitie.xlsx", "rejected")
    assert [e["code"] for e in report["errors"]] == ["FILE_UNREADABLE"]


def test_a_file_that_is_not_a_zip_is_not_kept_waiting(root: Path, service: Any) -> None:
    path = root / "inbox" / "notes.xlsx"
    path.write_bytes(b"pas un classeur")
    settle(path)
    service.poll_once()
    assert service.poll_once() == 1
    assert [e["code"] for e in reports(root)[0]["errors"]] == ["FILE_UNREADABLE"]


# -- workbooks held open ----------------------------------------------------------------------


def test_a_workbook_open_in_libreoffice_waits_until_its_lock_goes_or_is_stale(root: Path, service: Any) -> None:
    inbox = root / "inbox"
    workbook = drop(company(root / "staging" / "b.xlsx", "850001"), inbox, "bordereau.xlsx")
    lock = inbox / ".~lock.bordereau.xlsx#"
    lock.write_text(",Hind Berrada,PC-RH,01.12.2026 10:32,file:///home/hind/.config/libreoffice/4;")
    settle(workbook)

    service.poll_once()
    assert service.poll_once() == 0
    assert workbook.exists()

    stale = time.time() - 13 * 3600  # LibreOffice crashed half a day ago and left its lock
    os.utime(lock, (stale, stale))
    assert service.poll_once() == 1
    assert [(r["file"], r["status"]) for r in reports(root)] == [("bordereau.xlsx", "accepted")]
    assert lock.exists()  # not ours to remove
