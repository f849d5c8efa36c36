"""Two hands on one row at once (issue 20, point 1), on PostgreSQL: each read-modify-write locks what it merges
into.

Two Mises à jour leave two waiting requests, one changing the delegate's phone, the other its Fonction.
Before: two operators approving them at the same moment lost one change (both requests said approved,
both emails went out): `_decide` locked the request row only and wrote back the whole merged `delegue`
read without a lock. A third session holds the company's row while both approvals start, so that both
are in flight before either writes: deterministic, no sleep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Select, select

from provisioner.service.agence import decisions, operators, subscriptions
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.requests import list_requests
from provisioner.store.tables import adherents, requests
from provisioner.store.tables import operators as operator_rows
from tests.factory import ADMIN_PASSWORD
from tests.integration.test_agence import NUMERO, subscribe, update_book

RACE_WAIT_S = 30

pytestmark = pytest.mark.parametrize("engine", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)


def run_while_held(ctx: ServiceContext, held: Select[Any], *calls: Callable[[], Any]) -> list[Any]:
    """Start `calls` in threads while another session holds the rows `held` selects; release them once at
    least two calls wait on a lock (two in flight at once is the race), or after RACE_WAIT_S whatever
    came (what is asserted, every change kept, holds in any order; waiting for all of them made the
    test hang now and then); their results (or exceptions) in order."""
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            results[i] = call()
        except Exception as error:  # the test asserts on it
            results[i] = error

    with ctx.engine.connect() as holder:
        holder.execute(held.with_for_update())
        threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        with ctx.engine.connect() as watcher:
            deadline = time.monotonic() + RACE_WAIT_S
            while time.monotonic() < deadline and watcher.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'")).scalar_one() < min(2, len(calls)):
                time.sleep(0.05)
        holder.rollback()
    for thread in threads:
        thread.join(120)
    return results


def test_two_approvals_at_once_keep_both_changes(ctx: ServiceContext, tmp_path: Path) -> None:
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    update_book(ctx, tmp_path, "tel.xlsx", delegue_values={"password": ADMIN_PASSWORD, "tel": "0522999888"})
    update_book(ctx, tmp_path, "fonction.xlsx", delegue_values={"password": ADMIN_PASSWORD, "fonction": "DRH"})
    waiting = list_requests(ctx)
    assert sorted(str(r["payload"]["changes"]) for r in waiting) == ["{'fonction': 'DRH'}", "{'tel': '+212522999888'}"]

    results = run_while_held(ctx, select(adherents).where(adherents.c.numero == NUMERO),
                             *[lambda r=r: decisions.approve_request(ctx, r["id"]) for r in waiting])

    assert [getattr(r, "status", r) for r in results] == ["approved", "approved"]
    with ctx.engine.connect() as conn:
        delegue = conn.execute(select(adherents.c.delegue)).scalar_one()
        assert conn.execute(select(requests.c.status)).scalars().all() == ["approved", "approved"]
    assert (delegue["tel"], delegue["fonction"]) == ("+212522999888", "DRH"), delegue


def test_wrong_passwords_tried_in_parallel_each_count_towards_the_lock(ctx: ServiceContext) -> None:
    """Before: the failure counter was read before the slow argon2id check and written back from that read:
    four wrong passwords at once counted one, and an attacker in parallel was never locked."""
    operators.add_operator(ctx, "amina", "admin", "un mot de passe long")
    attempts = 4  # below the lock (5): the count itself is what is asserted

    results = run_while_held(ctx, select(operator_rows).where(operator_rows.c.login == "amina"),
                             *[lambda: operators.authenticate(ctx, "amina", "pas le bon") for _ in range(attempts)])

    assert results == [None] * attempts
    with ctx.engine.connect() as conn:
        assert conn.execute(select(operator_rows.c.failed_logins)).scalar_one() == attempts
