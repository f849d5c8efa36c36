"""One locked row does not stall all intake (issue 20, point 2), with `provisioner serve` on PostgreSQL.

Another session holds a company's row (`SELECT … FOR UPDATE` in a long transaction). Before: the file of
that company waited in its lane for the whole time, with no log line, the round never ended, so a file
of another company dropped meanwhile was never taken, and the heartbeat stopped. Now the statement gives
up after PROVISIONER_DB_LOCK_TIMEOUT_SECONDS: that file waits with a backoff (a database fault of the
file, not of the service), the others go on, the service's health stays current.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factory
from tests.service_env import Started, run_provisioner, service_env, wait_for


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    running = Started(tmp_path)
    yield running
    running.kill_all()


def drop(book: Path, inbox: Path) -> None:
    target = inbox / book.name
    target.write_bytes(book.read_bytes())
    past = time.time() - 60
    os.utime(target, (past, past))


def reports(root: Path) -> dict[str, str]:
    found = {}
    for path in (root / "outbox").glob("*/rapport.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["file"]] = data["status"]
    return found


@pytest.mark.postgres
def test_a_file_blocked_on_a_locked_row_waits_while_the_others_go_on(
        tmp_path: Path, pg_url: str, started: Started) -> None:
    env = service_env(tmp_path, pg_url, PROVISIONER_POLL_SECONDS="1", PROVISIONER_DB_LOCK_TIMEOUT_SECONDS="1")
    staging, inbox = tmp_path / "staging", tmp_path / "inbox"
    staging.mkdir()
    inbox.mkdir()
    run_provisioner(tmp_path, env, "process", factory.make_workbook(staging / "abonnement.xlsx"))
    run_provisioner(tmp_path, env, "adherents", "activate", "123456")
    held_company = factory.make_workbook(
        staging / "held.xlsx", adherent_values=factory.adherent(type_demande="Mise à jour"),
        delegue_values={"password": factory.ADMIN_PASSWORD}, categories=[],
        users={"td_interne": [{"action": "Modifier", "login": "hind.td", "fonction": "Comptable"}]})
    other_company = factory.make_workbook(staging / "other.xlsx", adherent_values=factory.adherent(numero="654321"),
                                          delegue_values=factory.delegue(email="rh@autre.ma"),
                                          users={"td_interne": [factory.user("autre.td")]},
                                          categories=[{"login": "autre.td", "D": "X"}])
    serve = started.start(env)
    wait_for(lambda: "service started" in serve.text(), 60, serve)

    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as holder, engine.connect() as watcher:
            holder.execute(sa.text("SELECT * FROM adherents WHERE numero = '123456' FOR UPDATE"))
            drop(held_company, inbox)
            wait_for(lambda: "waits for database" in serve.text() or watcher.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).scalar_one(), 60, serve)
            health_before = (tmp_path / "var" / "health.json").read_text()
            drop(other_company, inbox)
            wait_for(lambda: reports(tmp_path).get("other.xlsx"), 60, serve)
            assert "held.xlsx" not in reports(tmp_path)
            assert (tmp_path / "var" / "health.json").read_text() != health_before  # the heartbeat goes on
            status = run_provisioner(tmp_path, env, "status")
            assert "base de données" not in status.stdout, status.stdout  # the database answers: no fault
            holder.rollback()
    finally:
        engine.dispose()

    done = wait_for(lambda: "held.xlsx" in reports(tmp_path) and reports(tmp_path), 60, serve)
    assert done == {"abonnement.xlsx": "accepted", "other.xlsx": "accepted", "held.xlsx": "accepted"}
    log = serve.text()
    assert "waits for database (LockNotAvailable)" in log, serve.tail()
    assert "health: database failing" not in log
    assert serve.stop() == 0
