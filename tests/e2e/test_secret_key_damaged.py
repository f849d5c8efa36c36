"""A damaged var/secret.key (issue 20, point 3): one clear line for the commands, a wait for `serve`.

After a full disk the key file was left empty; with any garbage in it, every command ended in a
traceback (`ValueError: Fernet key must be 32 url-safe base64-encoded bytes`). Real processes.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests import factory
from tests.service_env import Started, run_provisioner, service_env, wait_for


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    running = Started(tmp_path)
    yield running
    running.kill_all()


@pytest.mark.parametrize("damage", [b"", b"\n", b"not a key at all\n", b"\xff\xfe" * 30])
def test_a_damaged_key_is_one_clear_line_and_exit_2(tmp_path: Path, damage: bytes) -> None:
    env = service_env(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret.key").write_bytes(damage)
    book = factory.make_workbook(tmp_path / "abonnement.xlsx")
    for args in (("accounts", "list"), ("process", book), ("adherents", "list")):
        result = run_provisioner(tmp_path, env, *args, expect=2)  # no traceback, checked there
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "secret.key is unreadable (empty or damaged)" in lines[0], result.stderr
        assert "restore it from the backup" in lines[0]
    assert (tmp_path / "var" / "secret.key").read_bytes() == damage  # never replaced behind the operator's back


def _limit_file_size() -> None:
    # A file-size limit below a key's 45 bytes: its write fails midway, as on a full disk.
    resource.setrlimit(resource.RLIMIT_FSIZE, (20, 20))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@pytest.mark.postgres
def test_a_key_whose_write_fails_leaves_nothing_half_written(tmp_path: Path, pg_url: str) -> None:
    """Before: 20 bytes of a key were left in var/secret.key, and every later command died of them."""
    env = service_env(tmp_path, pg_url)  # PostgreSQL: the database writes no file here
    (tmp_path / "var").mkdir()
    failed = subprocess.run([sys.executable, "-m", "provisioner", "accounts", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr
    assert "secret.key cannot be written (EFBIG)" in failed.stderr
    assert [p.name for p in (tmp_path / "var").iterdir()] == []
    run_provisioner(tmp_path, env, "accounts", "list")  # the next run makes a whole key
    Fernet((tmp_path / "var" / "secret.key").read_bytes())


def test_serve_waits_for_a_restored_key_instead_of_dying(tmp_path: Path, started: Started) -> None:
    env = service_env(tmp_path, PROVISIONER_POLL_SECONDS="1")
    var = tmp_path / "var"
    var.mkdir()
    run_provisioner(tmp_path, env, "accounts", "list")
    key = (var / "secret.key").read_bytes()
    (var / "secret.key").write_bytes(b"")  # what ENOSPC left before
    (tmp_path / "inbox").mkdir()
    factory.make_workbook(tmp_path / "inbox" / "abonnement.xlsx")

    serve = started.start(env)
    wait_for(lambda: "secret_key" in (var / "health.json").read_text() if (var / "health.json").exists() else False,
             60, serve)
    status = run_provisioner(tmp_path, env, "status", expect=None)
    assert status.returncode == 2 and "secret.key is unreadable" in status.stderr
    assert (tmp_path / "inbox" / "abonnement.xlsx").exists()  # the file waits
    assert serve.text().count("secret.key is unreadable") == 1, serve.tail()  # said once, not every poll

    (var / "secret.key").write_bytes(key)  # restored from the backup
    wait_for(lambda: list((tmp_path / "outbox").glob("*/rapport.json")), 120, serve)
    assert serve.stop() == 0
    assert "health: secret_key back" in serve.text()
    assert not (tmp_path / "inbox" / "abonnement.xlsx").exists()
