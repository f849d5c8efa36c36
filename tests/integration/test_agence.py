"""The Agence Virtuelle's use cases on a real store (SQLite and PostgreSQL), fed by the real pipeline.

What the operator does after a workbook: validate a subscription, unlock,
reset the administrator password, decide requests, read the state of the
service. Emails are asserted as the rows of the transactional outbox.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update

from provisioner.domain.plan_value import UserChange
from provisioner.domain.vocabulary import ChangeAction
from provisioner.mail.queue import readable_body
from provisioner.security.hashing import verify_secret
from provisioner.service.agence import companies, decisions, operator_commands, subscriptions
from provisioner.service.agence.history import account_history
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.accounts import list_accounts
from provisioner.service.read_models.companies import list_adherents
from provisioner.service.read_models.errors import UnknownTeleservice
from provisioner.service.read_models.requests import list_requests
from provisioner.service.read_models.status import status as service_status
from provisioner.service.submission.pipeline import process_file
from provisioner.store.repositories import Repositories
from provisioner.store.tables import (
    account_categories,
    accounts,
    adherents,
    audit,
    mail_queue,
    pending_users,
    requests,
)
from tests.factory import ADMIN_PASSWORD, adherent, make_workbook, user

NUMERO = "123456"
PASSWORD_LINE = re.compile(r"Mot de passe(?: administrateur)?\s*:\s*([A-Za-z0-9]{5,10})")


def subscribe(ctx: ServiceContext, tmp_path: Path, **kwargs: Any) -> None:
    outcome = process_file(ctx, make_workbook(tmp_path / "abonnement.xlsx", **kwargs))
    assert outcome.status == "accepted", outcome.report["errors"]


def update_book(ctx: ServiceContext, tmp_path: Path, name: str, **kwargs: Any) -> Any:
    kwargs.setdefault("adherent_values", adherent(type_demande="Mise à jour"))
    kwargs.setdefault("delegue_values", {"password": ADMIN_PASSWORD})
    kwargs.setdefault("categories", [])
    return process_file(ctx, make_workbook(tmp_path / name, **kwargs))


def mails(engine: Engine, kind: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(select(mail_queue).where(mail_queue.c.kind == kind).order_by(mail_queue.c.id)).all()


def password_in(mail: Any) -> str:
    assert PASSWORD_LINE.search(mail.body_text) is None  # encrypted while it waits
    found = PASSWORD_LINE.search(readable_body(mail.body_text))
    assert found
    return found.group(1)


def password_field(ctx: ServiceContext, login: str) -> dict[str, Any]:
    """The password column of the account's creation, in its history."""
    [creation, *_] = account_history(ctx, login)["changes"]
    return next(f for f in creation["fields"] if f["column"] == "Mot de passe")


def account(engine: Engine, login: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(accounts).where(accounts.c.login == login)).one()


def six_users() -> dict[str, list[dict[str, Any]]]:
    return {"compte_adherent": [user(f"user{i}.ca", "compte_adherent") for i in range(6)]}


# -- activation ---------------------------------------------------------------------------

def test_activating_a_subscription_creates_its_waiting_users_with_their_categories(ctx, tmp_path):
    subscribe(ctx, tmp_path)

    result = subscriptions.activate(ctx, NUMERO)

    assert result.created == [{"login": "hind.td", "teleservice": "td_interne", "generated_password": False}]
    assert result.skipped == []
    assert password_field(ctx, "hind.td") == {"column": "Mot de passe", "secret": "chosen"}
    listed = list_accounts(ctx, adherent=NUMERO)
    assert [(a["login"], a["status"], a["categories"]) for a in listed] == [("hind.td", "active", ["D", "S0"])]
    assert [a["status"] for a in list_adherents(ctx)] == ["active"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(pending_users)).all() == []
        assert conn.execute(select(adherents.c.activated_at)).scalar_one() is not None
        assert conn.execute(select(audit.c.actor).where(audit.c.action == "activate")).scalar_one() == "agence"


def test_the_delegate_on_record_is_told_which_accounts_were_created_and_never_gets_a_password(ctx, tmp_path):
    subscribe(ctx, tmp_path)

    subscriptions.activate(ctx, NUMERO)

    [mail] = mails(ctx.engine, "subscription_validated")
    assert mail.recipients == ["hind.berrada@albaraka.ma"]
    assert "hind.td" in mail.body_text
    assert "Mot de passe :" not in mail.body_text


def test_a_waiting_user_without_password_gets_a_generated_one_at_their_own_address_only(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    with ctx.engine.begin() as conn:  # a user whose Abonnement row left the password blank
        conn.execute(update(pending_users).values(password_hash=None))

    result = subscriptions.activate(ctx, NUMERO)

    assert result.created[0]["generated_password"] is True
    [mail] = mails(ctx.engine, "generated_password")
    assert mail.recipients == ["hind.td@exemple.ma"]
    password = password_in(mail)
    assert verify_secret(account(ctx.engine, "hind.td").password_hash, password)
    assert password_field(ctx, "hind.td") == {"column": "Mot de passe", "secret": "generated"}
    assert password not in mails(ctx.engine, "subscription_validated")[0].body_text


def test_a_login_taken_since_the_abonnement_is_not_created_and_is_reported(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    now = datetime.now(UTC)
    with ctx.engine.begin() as conn:  # another company got "hind.td" in the meantime
        store = Repositories(conn)
        other = store.adherents.create(numero="654321", raison_sociale="Autre", company={}, delegue={},
                                       notification_email=None, admin_password_hash="x", confirmations=1, now=now)
        taken = UserChange(ChangeAction.CREATE, "compte_adherent", "HIND.TD", "s", 1,
                           values={"nom": "N", "prenom": "P", "fonction": "F", "email": "n@exemple.ma"})
        store.accounts.apply(other, taken, {"password_hash": "x"}, now)

    result = subscriptions.activate(ctx, NUMERO)

    assert result.created == []
    assert result.skipped == [{"login": "hind.td", "teleservice": "td_interne", "reason": "login_taken"}]
    assert list_accounts(ctx, adherent=NUMERO) == []
    [mail] = mails(ctx.engine, "subscription_validated")
    assert "hind.td" in mail.body_text and "pris" in mail.body_text


def test_a_company_cannot_be_activated_twice_and_an_unknown_number_is_said(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)

    with pytest.raises(operator_commands.NotPending, match="déjà validé"):
        subscriptions.activate(ctx, NUMERO)
    with pytest.raises(operator_commands.UnknownAdherent, match="999999"):
        subscriptions.activate(ctx, "999999")


# -- lock and administrator password ------------------------------------------------------

def test_unlock_lifts_the_lock_and_forgets_the_failures(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    later = datetime.now(UTC) + timedelta(minutes=30)
    with ctx.engine.begin() as conn:
        conn.execute(update(adherents).values(failed_auth=5, locked_until=later))
    assert [b["numero"] for b in service_status(ctx, ctx.clock())["locked"]] == [NUMERO]

    result = companies.unlock(ctx, NUMERO)

    assert (result.was_locked, result.failed_auth) == (True, 5)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(adherents.c.failed_auth, adherents.c.locked_until)).one() == (0, None)
    assert service_status(ctx, ctx.clock())["locked"] == []


def test_a_new_administrator_password_goes_to_the_delegate_on_record_only(ctx, tmp_path):
    subscribe(ctx, tmp_path, adherent_values=adherent(email_notification="fidu@cabinet.ma"))
    subscriptions.activate(ctx, NUMERO)

    result = companies.reset_admin_password(ctx, NUMERO)

    assert result.sent_to == "hind.berrada@albaraka.ma"
    [mail] = mails(ctx.engine, "admin_password_reset")
    assert mail.recipients == ["hind.berrada@albaraka.ma"]
    password = password_in(mail)
    assert password not in repr(result)
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(adherents.c.admin_password_hash)).scalar_one()
        trail = conn.execute(select(audit.c.before, audit.c.after)).all()
    assert verify_secret(stored, password) and not verify_secret(stored, ADMIN_PASSWORD)
    assert password not in str(trail) and "$argon2" not in str(trail)


def test_no_delegate_email_on_record_means_no_reset(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    with ctx.engine.begin() as conn:
        conn.execute(update(adherents).values(delegue={"nom": "Berrada"}))

    with pytest.raises(operator_commands.NoDelegateEmail):
        companies.reset_admin_password(ctx, NUMERO)
    with ctx.engine.connect() as conn:
        assert verify_secret(conn.execute(select(adherents.c.admin_password_hash)).scalar_one(), ADMIN_PASSWORD)


# -- requests -----------------------------------------------------------------------------

def test_approving_a_delegate_email_change_applies_it_and_tells_both_addresses(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    update_book(ctx, tmp_path, "maj.xlsx", delegue_values={"password": ADMIN_PASSWORD, "email": "new@albaraka.ma"})
    [waiting] = list_requests(ctx)
    assert waiting["kind"] == "delegue_change" and waiting["payload"]["changes"] == {"email": "new@albaraka.ma"}

    decision = decisions.approve_request(ctx, waiting["id"])

    assert decision.notified == ["hind.berrada@albaraka.ma", "new@albaraka.ma"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(adherents.c.delegue)).scalar_one()["email"] == "new@albaraka.ma"
        assert conn.execute(select(requests.c.status, requests.c.decided_by)).one() == ("approved", "agence")
    [mail] = mails(ctx.engine, "request_decided")
    assert mail.recipients == ["hind.berrada@albaraka.ma", "new@albaraka.ma"]
    assert list_requests(ctx) == []


def test_approving_a_company_change_updates_the_raison_sociale_too(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    update_book(ctx, tmp_path, "maj.xlsx", adherent_values=adherent(type_demande="Mise à jour",
                                                                     raison_sociale="Al Baraka SA"))
    [waiting] = list_requests(ctx)

    decisions.approve_request(ctx, waiting["id"])

    [listed] = list_adherents(ctx)
    assert listed["raison_sociale"] == "Al Baraka SA"


def test_a_rejected_request_changes_nothing_and_cannot_be_decided_again(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    subscriptions.activate(ctx, NUMERO)
    update_book(ctx, tmp_path, "maj.xlsx", delegue_values={"password": ADMIN_PASSWORD, "email": "new@albaraka.ma"})
    [waiting] = list_requests(ctx)

    decision = decisions.reject_request(ctx, waiting["id"], reason="Lettre non signée")

    assert decision.status == "rejected" and decision.notified == ["hind.berrada@albaraka.ma"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(adherents.c.delegue)).scalar_one()["email"] == "hind.berrada@albaraka.ma"
    assert "Lettre non signée" in mails(ctx.engine, "request_decided")[0].body_text
    with pytest.raises(operator_commands.AlreadyDecided):
        decisions.approve_request(ctx, waiting["id"])
    with pytest.raises(operator_commands.UnknownRequest):
        decisions.reject_request(ctx, 9999)


def test_a_held_mass_disable_is_applied_on_approval_and_a_login_gone_since_is_skipped(ctx, tmp_path):
    subscribe(ctx, tmp_path, users=six_users(), categories=[])
    subscriptions.activate(ctx, NUMERO)
    disabling = [{"action": "Désactiver", "login": f"user{i}.ca"} for i in range(5)]
    outcome = update_book(ctx, tmp_path, "maj.xlsx", users={"compte_adherent": disabling})
    assert outcome.report["held"] is True
    [waiting] = list_requests(ctx)
    assert "plan" not in waiting["payload"] and "argon2" not in str(waiting)
    assert len(waiting["payload"]["changes"]) == 5
    gone = account(ctx.engine, "user4.ca").id
    with ctx.engine.begin() as conn:  # the account left the store meanwhile
        conn.execute(delete(account_categories).where(account_categories.c.account_id == gone))
        conn.execute(delete(accounts).where(accounts.c.id == gone))

    decision = decisions.approve_request(ctx, waiting["id"])

    assert [c["login"] for c in decision.applied] == [f"user{i}.ca" for i in range(4)]
    assert decision.skipped == [{"action": "disable", "teleservice": "compte_adherent", "login": "user4.ca",
                                 "reason": "account_not_found"}]
    statuses = {a["login"]: a["status"] for a in list_accounts(ctx, adherent=NUMERO)}
    assert statuses == {**{f"user{i}.ca": "disabled" for i in range(4)}, "user5.ca": "active"}


def test_a_held_creation_gets_a_new_generated_password_and_needs_its_login_still_free(ctx, tmp_path):
    subscribe(ctx, tmp_path, users=six_users(), categories=[])
    subscriptions.activate(ctx, NUMERO)
    rows = [{"action": "Désactiver", "login": f"user{i}.ca"} for i in range(5)]
    rows.append(user("new.ca", "compte_adherent", password=None, password_confirm=None, email="new@exemple.ma"))
    update_book(ctx, tmp_path, "maj.xlsx", users={"compte_adherent": rows})
    [waiting] = list_requests(ctx)

    decision = decisions.approve_request(ctx, waiting["id"])

    assert {"action": "create", "teleservice": "compte_adherent", "login": "new.ca"} in decision.applied
    [mail] = [m for m in mails(ctx.engine, "generated_password") if m.recipients == ["new@exemple.ma"]]
    assert verify_secret(account(ctx.engine, "new.ca").password_hash, password_in(mail))
    assert password_field(ctx, "new.ca") == {"column": "Mot de passe", "secret": "generated"}


# -- lists and status ---------------------------------------------------------------------

def test_accounts_are_listed_by_teleservice_with_powers_and_never_a_hash(ctx, tmp_path):
    users = {"td_interne": [user("hind.td")],
             "easypaiement": [user("pay.ep", "easypaiement", validateur="Non"), user("val.ep", "easypaiement",
                                                                                    ordonnateur="Non")]}
    subscribe(ctx, tmp_path, users=users)
    subscriptions.activate(ctx, NUMERO)

    listed = list_accounts(ctx, teleservice="easypaiement")

    assert [(a["login"], a["powers"], a["categories"]) for a in listed] == [
        ("pay.ep", ["ordonnateur"], []), ("val.ep", ["validateur"], [])]
    assert "argon2" not in str(list_accounts(ctx))
    with pytest.raises(UnknownTeleservice):
        list_accounts(ctx, teleservice="minitel")
    with pytest.raises(operator_commands.UnknownAdherent):
        list_accounts(ctx, adherent="999999")


def test_status_flags_subscriptions_waiting_past_48_hours_and_counts_only_finished_inbox_files(ctx, tmp_path):
    subscribe(ctx, tmp_path)
    inbox = ctx.settings.inbox
    inbox.mkdir()
    for name in ("a.xlsx", "b.zip", "~$a.xlsx", ".hidden.xlsx", "c.xlsx.tmp", "d.xlsx.part"):
        (inbox / name).write_bytes(b"x")
    (inbox / "folder").mkdir()

    soon, late = (service_status(ctx, ctx.clock() + timedelta(hours=h)) for h in (1, 49))

    assert soon["inbox"]["files"] == 2
    assert [(s["numero"], s["overdue"]) for s in soon["subscriptions_waiting"]] == [(NUMERO, False)]
    assert [(s["numero"], s["overdue"]) for s in late["subscriptions_waiting"]] == [(NUMERO, True)]
    assert soon["submissions"]["accepted"] == {"last_24h": 1, "total": 1}
    assert late["submissions"]["accepted"] == {"last_24h": 0, "total": 1}
    assert soon["unfinished"] == [] and soon["emails"]["pending"] >= 1
