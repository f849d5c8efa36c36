"""The Agence Virtuelle's commands, run as an operator runs them: the real CLI in a subprocess.

One company's life on SQLite and on PostgreSQL: subscription, validation,
a Mise à jour, a lock and its unlock, a request approved, a new
administrator password. Emails are read where the service leaves them: the
rows of the transactional outbox (`mail_queue`).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select, text

from provisioner.store.db import make_engine
from provisioner.store.tables import mail_queue
from tests.factory import ADMIN_PASSWORD, adherent, make_workbook, user
from tests.service_env import run_provisioner, service_env

NUMERO = "123456"
DELEGATE = "hind.berrada@albaraka.ma"
NEW_DELEGATE = "nouveau.delegue@albaraka.ma"
PASSWORD_LINE = re.compile(r"Mot de passe(?: administrateur)?\s*:\s*([A-Za-z0-9]{5,10})")
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


@dataclass
class Service:
    """The service as an operator has it: a database, an inbox, an outbox, and the `provisioner` command."""

    root: Path
    url: str
    engine: Engine

    @property
    def env(self) -> dict[str, str]:
        return service_env(self.root, self.url)

    def run(self, *args: str | Path, expect: int = EXIT_OK) -> subprocess.CompletedProcess[str]:
        return run_provisioner(self.root, self.env, *args, expect=expect)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def process(self, *books: Path, expect: int = EXIT_OK) -> list[dict[str, Any]]:
        lines = self.run("process", "--json", *books, expect=expect).stdout.splitlines()
        return [json.loads(line) for line in lines]

    def mails(self, kind: str) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(select(mail_queue).where(mail_queue.c.kind == kind)
                                .order_by(mail_queue.c.id)).all()

    def book(self, name: str, **kwargs: Any) -> Path:
        return make_workbook(self.root / name, **kwargs)

    def update_book(self, name: str, password: str = ADMIN_PASSWORD, **kwargs: Any) -> Path:
        """A Mise à jour authenticated by `password`; blank company and delegate cells change nothing."""
        kwargs.setdefault("categories", [])
        return self.book(name, adherent_values=adherent(type_demande="Mise à jour"),
                         delegue_values=kwargs.pop("delegue_values", {"password": password}), **kwargs)


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Iterator[Service]:
    engine = make_engine(db_url)
    yield Service(tmp_path, db_url, engine)
    engine.dispose()


@pytest.fixture
def sqlite_service(sqlite_url: str, tmp_path: Path) -> Iterator[Service]:
    engine = make_engine(sqlite_url)
    yield Service(tmp_path, sqlite_url, engine)
    engine.dispose()


def password_in(mail: Any, service: Service) -> str:
    """The password a message carries: in its queued body, which waits encrypted with the service's key
    (var/secret.key), or once delivered (blanked in the queue: `process` delivers at the end of its run) in
    its `.eml` under outbox/mail/."""
    text = mail.body_text or ""
    if text:
        assert PASSWORD_LINE.search(text) is None  # never in clear in the queue
        key = (service.root / "var" / "secret.key").read_bytes().strip()
        text = Fernet(key).decrypt(text.removeprefix("fernet:").encode("ascii")).decode("utf-8")
    else:
        [eml] = (service.root / "outbox" / "mail").glob(f"*-{mail.kind}-{message_key(mail)}.eml")
        parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",)).get_content()
    found = PASSWORD_LINE.search(text)
    assert found, text
    return found.group(1)


def message_key(mail: Any) -> str:
    return str(mail.message_id).strip("<>").split("@")[0]


def delivered_secrets(service: Service) -> set[Path]:
    """The .eml files of the messages that carry a password to their own recipient."""
    with service.engine.connect() as conn:
        secret = conn.execute(select(mail_queue.c.kind, mail_queue.c.message_id).where(
            mail_queue.c.kind.in_(("generated_password", "admin_password_reset")))).all()
    folder = service.root / "outbox" / "mail"
    return {p for kind, message_id in secret
            for p in folder.glob(f"*-{kind}-{str(message_id).strip('<>').split('@')[0]}.eml")}


def everything_written(service: Service) -> str:
    """Every email body and every text file of the outbox: where no password may appear."""
    with service.engine.connect() as conn:
        bodies = [f"{t}\n{h or ''}" for t, h in conn.execute(select(mail_queue.c.body_text, mail_queue.c.body_html)
                                                             .where(mail_queue.c.kind != "generated_password")
                                                             .where(mail_queue.c.kind != "admin_password_reset"))]
    delivered = delivered_secrets(service)
    files = [p.read_text(errors="replace") for p in (service.root / "outbox").rglob("*")
             if p.is_file() and p.suffix in (".json", ".html", ".txt", ".eml") and p not in delivered]
    return "\n".join(bodies + files)


def subscribed(service: Service) -> None:
    users = {"td_interne": [user("hind.td")], "compte_adherent": [user("sara.ca", "compte_adherent")]}
    [report] = service.process(service.book("abonnement.xlsx", users=users))
    assert report["status"] == "accepted", report["errors"]


# -- the lifecycle --------------------------------------------------------------------------

@pytest.mark.slow
def test_a_company_life_as_the_agence_virtuelle_sees_it(service: Service) -> None:
    subscribed(service)
    [listed] = service.json("adherents", "list")
    assert (listed["numero"], listed["status"], listed["waiting_users"]) == (NUMERO, "pending", 2)
    assert NUMERO in service.run("adherents", "list", "--status", "pending").stdout
    assert [s["numero"] for s in service.json("status")["subscriptions_waiting"]] == [NUMERO]

    activation = service.json("adherents", "activate", NUMERO)

    assert {u["login"] for u in activation["created"]} == {"hind.td", "sara.ca"}
    accounts = {a["login"]: a for a in service.json("accounts", "list", "--adherent", NUMERO)}
    assert {k: (a["status"], a["categories"]) for k, a in accounts.items()} == {
        "hind.td": ("active", ["D", "S0"]), "sara.ca": ("active", [])}
    assert [m.recipients for m in service.mails("subscription_validated")] == [[DELEGATE]]

    # A Mise à jour: sara.ca leaves, hind.td's password is reset blank (generated), a new delegate email.
    rows = {"td_interne": [{"action": "Réinitialiser mot de passe", "login": "hind.td"}],
            "compte_adherent": [{"action": "Désactiver", "login": "sara.ca"}]}
    [report] = service.process(service.update_book(
        "maj.xlsx", users=rows, delegue_values={"password": ADMIN_PASSWORD, "email": NEW_DELEGATE}))
    assert report["status"] == "accepted", report["errors"]
    statuses = {a["login"]: a["status"] for a in service.json("accounts", "list", "--teleservice", "compte_adherent")}
    assert statuses == {"sara.ca": "disabled"}
    [generated] = service.mails("generated_password")
    assert generated.recipients == ["hind.td@exemple.ma"]
    assert password_in(generated, service) not in everything_written(service)

    # The delegate email change waits for the signed letter, then is approved.
    [waiting] = service.json("requests", "list")
    assert (waiting["kind"], waiting["payload"]["changes"]) == ("delegue_change", {"email": NEW_DELEGATE})
    service.run("requests", "approve", str(waiting["id"]))
    assert [r["status"] for r in service.json("requests", "list", "--all")] == ["approved"]
    assert service.mails("request_decided")[0].recipients == [DELEGATE, NEW_DELEGATE]

    # Five wrong passwords lock the company: even the right one is refused then.
    wrong = [service.update_book(f"wrong{i}.xlsx", password=f"Wrong{i}pw") for i in range(5)]
    right = service.update_book("right.xlsx", users={"compte_adherent": [{"action": "Réactiver", "login": "sara.ca"}]})
    reports = service.process(*wrong, right, expect=EXIT_ERROR)
    assert [r["errors"][0]["code"] for r in reports] == ["AUTH_FAILED"] * 5 + ["ACCOUNT_LOCKED"]
    assert [b["numero"] for b in service.json("status")["locked"]] == [NUMERO]

    service.run("adherents", "unlock", NUMERO)

    again = service.update_book("right-again.xlsx", users={
        "compte_adherent": [{"action": "Réactiver", "login": "sara.ca"}],
        "td_interne": [{"action": "Modifier", "login": "hind.td", "fonction": "Comptable"}]})
    [report] = service.process(again)
    assert report["status"] == "accepted", report["errors"]

    # After the signed letter: a new administrator password, to the delegate on record only, never printed.
    result = service.run("adherents", "reset-password", NUMERO)

    [mail] = service.mails("admin_password_reset")
    assert mail.recipients == [NEW_DELEGATE]
    password = password_in(mail, service)
    assert password not in result.stdout + result.stderr
    assert password not in everything_written(service)
    new, old = service.process(service.update_book("new-password.xlsx", password=password),
                               service.update_book("old-password.xlsx"), expect=EXIT_ERROR)
    assert new["status"] == "accepted", new["errors"]
    assert old["errors"][0]["code"] == "AUTH_FAILED"


def test_a_user_left_without_password_in_the_abonnement_gets_one_by_email_at_activation(
        sqlite_service: Service) -> None:
    service = sqlite_service
    blank = user("omar.td", password=None, password_confirm=None, email="omar@exemple.ma")
    service.process(service.book("abonnement.xlsx", users={"td_interne": [blank]},
                                 categories=[{"login": "omar.td", "D": "X"}]))

    [created] = service.json("adherents", "activate", NUMERO)["created"]

    assert created["generated_password"] is True
    assert [m.recipients for m in service.mails("generated_password")] == [["omar@exemple.ma"]]


# -- mistakes and what the operator sees -------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("adherents", "activate", "999999"),
    ("adherents", "unlock", "999999"),
    ("adherents", "reset-password", "999999"),
    ("requests", "approve", "42"),
    ("requests", "reject", "42"),
    ("accounts", "list", "--adherent", "999999"),
])
def test_an_unknown_company_or_request_is_one_line_and_exit_1(sqlite_service: Service, args: tuple[str, ...]) -> None:
    result = sqlite_service.run(*args, expect=EXIT_ERROR)

    assert result.stderr.strip().splitlines()[-1].startswith("Error: Aucun")


@pytest.mark.parametrize("args", [
    ("adherents", "activate", "12ab"),
    ("adherents", "activate"),
    ("adherents", "list", "--status", "gone"),
    ("requests", "approve", "abc"),
    ("accounts", "list", "--teleservice", "minitel"),
])
def test_a_malformed_argument_is_a_usage_error_exit_2(sqlite_service: Service, args: tuple[str, ...]) -> None:
    sqlite_service.run(*args, expect=EXIT_USAGE)


def test_activating_twice_says_it_is_done_already(sqlite_service: Service) -> None:
    subscribed(sqlite_service)
    sqlite_service.run("adherents", "activate", NUMERO)

    result = sqlite_service.run("adherents", "activate", NUMERO, expect=EXIT_ERROR)

    assert "déjà validé" in result.stderr


def test_text_from_workbooks_is_printed_as_text_never_as_markup_or_terminal_codes(sqlite_service: Service) -> None:
    subscribed(sqlite_service)
    with sqlite_service.engine.begin() as conn:
        conn.execute(text("UPDATE adherents SET raison_sociale = :name"), {"name": "[red]Evil[/red]\x1b[2J"})

    result = sqlite_service.run("adherents", "list")

    assert "[red]Evil[/red]" in result.stdout
    assert "\x1b" not in result.stdout


def test_every_agence_command_has_help_with_an_example() -> None:
    from provisioner.cli.app import cli, load_all_commands

    load_all_commands()  # registers the commands
    commands = [(f"{g} {name}", cmd) for g in ("adherents", "requests", "accounts")
                for name, cmd in cli.commands[g].commands.items()]  # type: ignore[attr-defined]
    commands += [(g, cli.commands[g]) for g in ("adherents", "requests", "accounts", "status")]
    for name, _ in commands:
        result = CliRunner().invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output and "provisioner " in result.output, name
