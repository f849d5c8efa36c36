"""Two hands on one row at once (issue 20, point 1), on PostgreSQL: each read-modify-write locks what it merges
into.

Two Mises à jour leave two waiting requests, one changing the delegate's phone, the other its Fonction.
Before: two operators approving them at the same moment lost one change (both requests said approved,
both emails went out): `_decide` locked the request row only and wrote back the whole merged `delegue`
read without a lock. A third session holds the company's row while both approvals start, so that both
are in flight before either writes: deterministic, no sleep. The same for the other pair that merges
into one company, a held mass deactivation approved while a workbook of that company applies.
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

from provisioner.security.hashing import verify_secret
from provisioner.service.agence import decisions, operators, subscriptions
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.requests import list_requests
from provisioner.service.submission import pipeline
from provisioner.service.submission.pipeline import process_file
from provisioner.service.submission.values import Outcome
from provisioner.store.tables import accounts, adherents, history, mail_queue, requests, submissions
from provisioner.store.tables import operators as operator_rows
from tests.factory import ADMIN_PASSWORD, adherent, make_workbook, user
from tests.integration.test_agence import NUMERO, six_users, subscribe, update_book

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
                # pg_stat_activity is read once per transaction: without a new one, the first answer
                # stood, and a watcher that looked before both waited looked until RACE_WAIT_S.
                watcher.rollback()
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


def test_a_held_mass_disable_approved_while_a_workbook_of_the_company_applies_keeps_both(
        ctx: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other pair that merges into one company: the approval of a held mass deactivation and the apply
    of a Mise à jour (an account both touch, a new user, a new administrator password, a delegate change).
    Both lock the company's row before they read what they write from: whichever comes second reads what
    the first wrote, so the history of the account both touch says the state it really replaced (what a
    revert puts back). The workbook is read, authenticated and hashed first (that transaction takes the
    company's row too); then its apply and the approval start while a third session holds the company and
    that account, so that both are in flight at once."""
    subscribe(ctx, tmp_path, users=six_users(), categories=[])
    subscriptions.activate(ctx, NUMERO)
    held = update_book(ctx, tmp_path, "held.xlsx", users={"compte_adherent": [
        {"action": "Désactiver", "login": f"user{i}.ca"} for i in range(5)]})
    [waiting] = list_requests(ctx)
    new_admin = "Neuf2026"
    book = make_workbook(
        tmp_path / "maj.xlsx", adherent_values=adherent(type_demande="Mise à jour"), categories=[],
        delegue_values={"password": ADMIN_PASSWORD, "fonction": "DRH", "new_password": new_admin,
                        "new_password_confirm": new_admin},
        users={"compte_adherent": [{"action": "Modifier", "login": "user0.ca", "gsm": "0661999888"},
                                   user("new.ca", "compte_adherent")]})
    reading = in_hand_until_told(monkeypatch, lambda: process_file(ctx, book))

    decision, outcome = run_while_held(
        ctx, select(adherents, accounts).join(accounts).where(adherents.c.numero == NUMERO,
                                                              accounts.c.login == "user0.ca"),
        lambda: decisions.approve_request(ctx, waiting["id"]), reading)

    assert isinstance(decision, decisions.Decision) and isinstance(outcome, Outcome), (decision, outcome)
    assert decision.status == "approved"
    assert [c["login"] for c in decision.applied] == [f"user{i}.ca" for i in range(5)] and not decision.skipped
    assert outcome.status == "accepted", outcome.report["errors"]
    assert (outcome.report["counts"]["created"], outcome.report["counts"]["updated"]) == (1, 1)
    assert [r["kind"] for r in outcome.report["requests"]] == ["delegue_change"]
    with ctx.engine.connect() as conn:
        state = {r.login: (r.status, r.gsm) for r in conn.execute(select(accounts))}
        admin_hash = conn.execute(select(adherents.c.admin_password_hash)).scalar_one()
        changes = conn.execute(select(history.c.login, history.c.action, history.c.before)
                               .where(history.c.origin != "subscription").order_by(history.c.id)).all()
        submission_status = conn.execute(select(submissions.c.status)
                                         .where(submissions.c.id == held.submission_id)).scalar_one()
        assert sorted(conn.execute(select(requests.c.kind, requests.c.status))) == [
            ("delegue_change", "waiting"), ("mass_disable", "approved")]
    gsm, new_gsm = "+212661234567", "+212661999888"
    assert state == {**{f"user{i}.ca": ("disabled", gsm) for i in range(1, 5)}, "user0.ca": ("disabled", new_gsm),
                     "user5.ca": ("active", gsm), "new.ca": ("active", gsm)}, state
    assert verify_secret(admin_hash, new_admin) and submission_status == "accepted"
    assert sorted((c.login or "", c.action) for c in changes) == sorted(
        [*((f"user{i}.ca", "disable") for i in range(5)), ("user0.ca", "update"), ("new.ca", "create"),
         ("", "admin_password")])
    first, second = [c for c in changes if c.login == "user0.ca"]
    if first.action == "disable":  # the approval came first: the Modifier replaced a disabled account
        assert second.before["status"] == "disabled", second.before
    else:  # the workbook came first: the deactivation replaced the new GSM
        assert second.before["fields"]["gsm"] == new_gsm, second.before
    with ctx.engine.connect() as conn:
        told = sorted(conn.execute(select(mail_queue.c.kind).where(
            mail_queue.c.submission_id.in_([held.submission_id, outcome.submission_id]))).scalars())
    assert told == ["accepted", "accepted", "request_decided", "request_waiting", "request_waiting"], told


def in_hand_until_told(monkeypatch: pytest.MonkeyPatch, process: Callable[[], Outcome]) -> Callable[[], Outcome]:
    """Run `process` (a process_file) in a thread up to its write transaction, where it pauses; the call
    returned lets it go on and returns its outcome (or exception)."""
    in_hand, told = threading.Event(), threading.Event()
    apply_committed = pipeline._apply_committed
    result: list[Any] = []

    def paused(*args: Any) -> Outcome:
        in_hand.set()
        told.wait(RACE_WAIT_S)
        return apply_committed(*args)

    def run() -> None:
        try:
            result.append(process())
        except Exception as error:  # the test asserts on it
            result.append(error)

    monkeypatch.setattr(pipeline, "_apply_committed", paused)
    thread = threading.Thread(target=run)
    thread.start()
    assert in_hand.wait(RACE_WAIT_S)

    def go_on() -> Outcome:
        told.set()
        thread.join(120)
        [outcome] = result
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, Outcome)
        return outcome
    return go_on
