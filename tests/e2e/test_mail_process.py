"""A saved mail through `provisioner process MESSAGE.eml`, and `serve` with its IMAP door as processes:
the reply queued and delivered like any email, the secrets of the mail's workbook nowhere (canaries), a
kill -9 with the mail in hand processed once, the mailbox's fault in `provisioner status`."""

from __future__ import annotations

import base64
import json
import signal
from datetime import datetime
from pathlib import Path

import pytest

from provisioner.config import Settings
from provisioner.service.intake import faults
from provisioner.service.intake.health import Health
from tests.e2e.test_canaries import Canaries, Finds, files_under, needles_of, scan
from tests.factory import ADMIN_PASSWORD, USER_PASSWORD, adherent, delegue, make_workbook, user
from tests.imap_server import ImapServer
from tests.mail_fixtures import mail
from tests.service_env import Started, run_provisioner, service_env, wait_for
from tests.smtp_server import SmtpServer


def _env(root: Path, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    return service_env(root, PROVISIONER_SMTP_HOST="127.0.0.1", PROVISIONER_SMTP_PORT=str(smtp.port),
                       PROVISIONER_SMTP_STARTTLS="0", PROVISIONER_SMTP_TIMEOUT="5", **extra)


def test_process_a_saved_mail_replies_in_its_thread_and_leaves_no_secret_anywhere(
        tmp_path: Path, smtp: SmtpServer) -> None:
    canaries = Canaries()
    admin = canaries.password()
    book = make_workbook(tmp_path / "book.xlsx",
                         delegue_values=delegue(password=admin, password_confirm=admin),
                         users={"td_interne": [canaries.secret_user("k.alami", "td_interne")]},
                         categories=[{"login": "k.alami", "D": "X"}])
    saved = tmp_path / "saved" / "courriel-transfere.eml"
    saved.parent.mkdir()
    saved.write_bytes(mail("forwarded", book.read_bytes()))
    root = tmp_path / "service"
    root.mkdir()

    result = run_provisioner(root, _env(root, smtp), "process", "--json", saved)

    line = json.loads(result.stdout.splitlines()[0])
    assert line["mail"] == "processed" and line["reply_to"] == "hind.berrada@albaraka.ma"
    assert [(w["file"], w["status"]) for w in line["workbooks"]] == [("bordereau.xlsx", "accepted")]
    replies = [m for m in smtp.handler.parsed() if str(m["Subject"]).startswith("Re:")]
    assert [(m["To"], m["In-Reply-To"]) for m in replies] == [("hind.berrada@albaraka.ma",
                                                               "<7d1e2f3a4b5c6d7e@mail.albaraka.ma>")]
    finds = Finds()
    needles = needles_of(canaries.secrets_)
    for path in files_under(root):
        scan(path.read_bytes(), str(path.relative_to(root)), needles, finds)
    for number, envelope in enumerate(smtp.handler.messages):
        scan(envelope.original_content or b"", f"smtp{number}.eml", needles, finds)
    scan((result.stdout + result.stderr).encode(), "process output", needles, finds)
    assert finds.hits == []
    assert any("archive" in where for where in finds.looked_in)  # the archive copy was searched


def test_a_saved_robot_mail_is_not_answered(tmp_path: Path, smtp: SmtpServer) -> None:
    saved = tmp_path / "absence.eml"
    saved.write_bytes(mail("auto_reply"))
    root = tmp_path / "service"
    root.mkdir()
    result = run_provisioner(root, _env(root, smtp), "process", saved, expect=1)
    assert "no reply (automatic mail)" in result.stdout
    assert smtp.handler.parsed() == []


def test_serve_once_takes_the_mailbox_answers_and_moves_the_mail(tmp_path: Path, imap: ImapServer,
                                                                  smtp: SmtpServer) -> None:
    imap.append(mail("no_workbook"))
    env = _env(tmp_path, smtp, **_imap_env(imap))
    run_provisioner(tmp_path, env, "serve", "--once")
    assert [m["To"] for m in smtp.handler.parsed()] == ["comptabilite@sarl-nour.ma"]
    assert imap.uids("INBOX") == [] and len(imap.uids("Ignorés")) == 1


def _imap_env(imap: ImapServer) -> dict[str, str]:
    return {"PROVISIONER_IMAP_HOST": "127.0.0.1", "PROVISIONER_IMAP_PORT": str(imap.port),
            "PROVISIONER_IMAP_SSL": "0", "PROVISIONER_IMAP_USER": imap.user,
            "PROVISIONER_IMAP_PASSWORD": imap.password}


def test_status_says_since_when_the_mailbox_is_unreachable(tmp_path: Path) -> None:
    Health(Settings(var_dir=tmp_path / "var"), lambda: datetime.now().astimezone()).fail(
        faults.Fault(faults.MAILBOX, "ConnectionRefusedError"))  # as the door records it
    result = run_provisioner(tmp_path, service_env(tmp_path), "status", expect=None)
    assert "ANOMALIE : boîte aux lettres injoignable depuis" in result.stdout


@pytest.mark.slow
def test_a_serve_killed_with_the_mail_in_hand_processes_it_once_after_restart(
        tmp_path: Path, imap: ImapServer, smtp: SmtpServer) -> None:
    books = [make_workbook(tmp_path / f"b{i}.xlsx", delegue_values=delegue(email=f"rh{i}@albaraka.ma"),
                           adherent_values=adherent(numero=f"{700000 + i}"),
                           users={"td_interne": [user(f"agent{i}.td")]},
                           categories=[{"login": f"agent{i}.td", "D": "X"}])
             for i in range(3)]
    message = mail("gmail", books[0].read_bytes())
    # Three workbooks in one mail: the kill lands while some are done and others not.
    for book in books[1:]:
        message = message.replace(b"--000000000000b3c41a062d8e7f10--", (
            b"--000000000000b3c41a062d8e7f10\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; filename=\"" + book.name.encode() + b"\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(book.read_bytes())
            .replace(b"\n", b"\r\n") + b"\r\n--000000000000b3c41a062d8e7f10--"))
    root = tmp_path / "service"
    root.mkdir()
    env = _env(root, smtp, **_imap_env(imap), PROVISIONER_POLL_SECONDS="1")
    started = Started(root)
    try:
        first = started.start(env)
        imap.append(message)
        # Killed once the first workbook of the mail is committed (its archive copy written).
        wait_for(lambda: list((root / "archive").rglob("*.xlsx")), 120, first)
        first.kill9()
        second = started.start(env)
        wait_for(lambda: imap.uids("Traités"), 120, second)
        wait_for(lambda: [m for m in smtp.handler.parsed() if str(m["Subject"]).startswith("Re:")], 60, second)
        assert second.stop(signal.SIGTERM) == 0
    finally:
        started.kill_all()
    replies = [m for m in smtp.handler.parsed() if str(m["Subject"]).startswith("Re:")]
    assert len(replies) == 1
    text = replies[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count(": accepté") == 3, text
    result = run_provisioner(root, env, "submissions", "list", "--json")
    assert len(json.loads(result.stdout)) == 3  # each workbook once: none a duplicate of itself
    assert imap.uids("INBOX") == []
    logs = "".join(service.text() for service in started.services)
    assert "mail ref=INBOX/" in logs  # the log names a mail by its key, and never holds a secret
    assert ADMIN_PASSWORD not in logs and USER_PASSWORD not in logs and imap.password not in logs
