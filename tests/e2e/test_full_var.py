"""A full var/ (issue 20, point 4): the running service shows the health it holds, and `status` does not
trust a health.json the service could not rewrite.

Before: with var/ full, the log said so, but `provisioner status` printed « aucune anomalie signalée »
and exited 0, and the dashboard the service rebuilt had no banner: both read a stale health.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.mounts import tmpfs
from tests.service_env import Started, run_provisioner, service_env, wait_for


@pytest.fixture
def tmpfs_var(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/var on a small tmpfs of its own (root only), filled by the test, always unmounted."""
    (tmp_path / "var").mkdir()
    with tmpfs(tmp_path / "var", "2m") as var:
        yield var


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    running = Started(tmp_path)
    yield running
    running.kill_all()


def fill(folder: Path) -> Path:
    """Write into `folder` until its file system is full."""
    ballast = folder / "ballast"
    with ballast.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return ballast


def test_a_full_var_is_shown_by_status_and_by_the_dashboard_the_service_rebuilds(
        tmp_path: Path, tmpfs_var: Path, started: Started) -> None:
    # The database lives outside var/ here: what fills up is the service's own small files.
    (tmp_path / "db").mkdir()
    env = service_env(tmp_path, f"sqlite:///{tmp_path / 'db' / 'provisioner.db'}", PROVISIONER_POLL_SECONDS="1")
    serve = started.start(env)
    wait_for(lambda: (tmpfs_var / "health.json").exists() and "service started" in serve.text(), 60, serve)
    page = tmp_path / "outbox" / "index.html"
    assert "aucune anomalie signalée" in run_provisioner(tmp_path, env, "status").stdout

    ballast = fill(tmpfs_var)
    wait_for(lambda: "health: var failing" in serve.text(), 60, serve)
    wait_for(lambda: page.exists() and "dossier var non inscriptible" in page.read_text(encoding="utf-8"), 60, serve)
    status = run_provisioner(tmp_path, env, "status", expect=1)
    assert "ANOMALIE : dossier var non inscriptible (disque plein)" in status.stdout, status.stdout
    assert "aucune anomalie" not in status.stdout

    ballast.unlink()
    wait_for(lambda: "health: var back" in serve.text(), 60, serve)
    wait_for(lambda: "dossier var non inscriptible" not in page.read_text(encoding="utf-8"), 60, serve)
    assert "aucune anomalie signalée" in run_provisioner(tmp_path, env, "status").stdout
    assert serve.stop() == 0


def test_status_says_when_health_json_is_too_old_to_trust(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    (tmp_path / "var").mkdir()
    run_provisioner(tmp_path, env, "accounts", "list")  # the store exists
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    (tmp_path / "var" / "health.json").write_text(json.dumps({"updated_at": hour_ago, "pid": 1, "faults": []}))

    status = run_provisioner(tmp_path, env, "status", expect=1)
    assert "trop ancien pour s'y fier" in status.stdout, status.stdout
    assert "aucune anomalie signalée" not in status.stdout
