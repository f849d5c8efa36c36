"""A write that fails with EFBIG after the commit (issue 20, point 5): a fault of the folder, and the
committed file is finished at the next round, never judged again as its own duplicate.

Before: under a file-size limit the archive copy failed, the quarantine failed too, and at the next
round the valid file was reported as a duplicate of itself, with a second email, and its archive copy
was never written. Real processes: `serve --once` under RLIMIT_FSIZE, then without it.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factory
from tests.service_env import run_provisioner, service_env

LIMIT = 12000  # bytes: the outputs (report, form, page, email) fit; the archive copy (14 kB) does not


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # as a shell gives it: the service must ignore it itself


@pytest.mark.postgres
def test_a_committed_file_whose_archive_copy_fails_is_finished_once_never_rejudged(
        tmp_path: Path, pg_url: str) -> None:
    env = service_env(tmp_path, pg_url, PROVISIONER_POLL_SECONDS="1")  # the database writes no file here
    (tmp_path / "var").mkdir()
    run_provisioner(tmp_path, env, "accounts", "list")  # the key and the store, made without the limit
    (tmp_path / "inbox").mkdir()
    factory.make_workbook(tmp_path / "inbox" / "abonnement.xlsx")

    limited = subprocess.run([sys.executable, "-m", "provisioner", "serve", "--once"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300, preexec_fn=_limit_file_size)
    assert limited.returncode == 0, limited.stderr[-3000:]  # not killed by SIGXFSZ
    assert "Traceback" not in limited.stderr
    assert "waits for archive (OSError EFBIG)" in limited.stderr, limited.stderr[-3000:]
    assert not list((tmp_path / "var" / "quarantine").glob("*"))  # a valid file is not set aside

    run_provisioner(tmp_path, env, "serve", "--once")

    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            statuses = conn.execute(sa.text("SELECT status FROM submissions")).scalars().all()
            kinds = conn.execute(sa.text("SELECT kind FROM mail_queue ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert statuses == ["accepted"]
    assert "duplicate" not in kinds and kinds.count("subscription_received") == 1, kinds
    reports = [json.loads(p.read_text()) for p in (tmp_path / "outbox").glob("*/rapport.json")]
    assert [r["status"] for r in reports] == ["accepted"]
    assert len(list((tmp_path / "archive").rglob("*.xlsx"))) == 1  # the archive copy, written at last
    assert [p.name for p in (tmp_path / "inbox").iterdir() if not p.name.startswith(".")] == []
