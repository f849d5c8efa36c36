"""Email through the transactional outbox, against a real SMTP server on 127.0.0.1.

The server is aiosmtpd in a thread; its handler keeps what it receives and
can be told to answer DATA with an error. Every queue test runs on SQLite and
PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.mail.dispatch import DispatchCounts, backoff, send_due
from provisioner.mail.eml_transport import EmlTransport
from provisioner.mail.queue import enqueue, readable_body
from provisioner.mail.render import KINDS, SECRET_KINDS, render
from provisioner.mail.sender import make_transport
from provisioner.mail.smtp_transport import SmtpTransport
from provisioner.security.secret_key import install
from provisioner.store.mails import Mails
from provisioner.store.tables import mail_queue
from tests.smtp_server import SmtpServer, free_port

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GIVE_UP = timedelta(hours=48)
PASSWORD_CANARY = "Zq7Canary9"  # 10 ASCII letters and digits: a valid generated password
SMTP_USER = "smtp-user-canary"
SMTP_PASSWORD = "smtp-password-canary-42"


# --- A real SMTP server -------------------------------------------------------


@pytest.fixture(autouse=True)
def secret_key(tmp_path: Path) -> None:
    """The service's key, as a ServiceContext installs it: generated once under var/."""
    install(Settings(var_dir=tmp_path / "var"))


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    """A server not yet listening: a test starts it (or not: "the server is down")."""
    smtp = SmtpServer(free_port())
    yield smtp
    smtp.stop()


@pytest.fixture
def running(server: SmtpServer) -> SmtpServer:
    server.start()
    return server


def smtp_settings(port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_timeout=5.0,
        mail_from="TéléServices CIMR <teleservices@cimr.ma>",
    )
    values.update(overrides)
    return Settings(**values)


# --- Helpers --------------------------------------------------------------------


ADHERENT = {"numero": "123456", "raison_sociale": "Boulangerie Al Baraka SARL"}


def finding(code: str, message: str, sheet: str | None = None, row: int | None = None,
            column: str | None = None, cell: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "sheet": sheet, "row": row, "column": column,
            "cell": cell}


def sample_report(status: str = "accepted", request_type: str = "mise_a_jour") -> dict[str, Any]:
    rejected = status == "rejected"
    return {
        "schema": 1,
        "submission_id": "S20261126-ab12cd34",
        "file": "bordereau <Al Baraka> & fils.xlsx",
        "sha256": "0" * 64,
        "received_at": "2026-11-26T09:00:00+00:00",
        "adherent": "123456",
        "request_type": request_type,
        "status": status,
        "errors": [
            finding("REQUIRED", "Le nom de la personne déléguée est obligatoire.", "Délégué", 4,
                    "Nom", "B4"),
            finding("PASSWORD_POLICY", "Le mot de passe doit compter 5 à 10 lettres ou chiffres.",
                    "Compte Adhérent", 3, "Mot de passe", "K3"),
            finding("TEMPLATE_MISMATCH", "La version du modèle est inconnue."),
        ] if rejected else [],
        "warnings": [finding("HIDDEN_ROWS", "Des lignes masquées ont été lues.", "Sanctions", 9)],
        "changes": [] if rejected else [
            {"action": "create", "teleservice": "td_interne", "login": "k.bennani"},
            {"action": "create", "teleservice": "td_interne", "login": "s.alaoui"},
            {"action": "update", "teleservice": "easypaiement", "login": "m.tazi",
             "fields": [{"column": "Email", "old": "m.tazi@albaraka.ma", "new": "mehdi.tazi@albaraka.ma"},
                        {"column": "Validateur", "old": "Non", "new": "Oui"}, {"column": "Mot de passe"}]},
            {"action": "disable", "teleservice": "sanctions", "login": "r.idrissi"},
            {"action": "enable", "teleservice": "eliquidation", "login": "n.chraibi"},
            {"action": "reset_password", "teleservice": "compte_adherent", "login": "a.fassi"},
        ],
        "counts": {"created": 2, "updated": 1, "disabled": 1, "enabled": 1, "reset_password": 1,
                   "unchanged": 4} if not rejected else {},
        "requests": [] if rejected else [
            {"id": 7, "kind": "delegue_change",
             "summary": "Nouvelle personne déléguée : Mme Leila Berrada"},
        ],
        "company_changes": [] if rejected else [
            {"kind": "confirmations", "status": "applied", "summary": "Nombre de confirmations E@syPaiement : 2.",
             "fields": [{"column": "Nombre de confirmations E@syPaiement", "old": 1, "new": 2}]},
        ],
    }


SAMPLE_CONTEXTS: dict[str, dict[str, Any]] = {
    "accepted": {"report": sample_report()},
    "rejected": {"report": sample_report("rejected")},
    "duplicate": {"report": sample_report("duplicate"), "first_processed_at": T0,
                  "first_submission_id": "S20261120-00aa11bb"},
    "controle": {"report": sample_report("accepted", "controle")},
    "subscription_received": {"adherent": ADHERENT, "submission_id": "S20261126-ab12cd34",
                              "users_waiting": 3},
    "subscription_validated": {
        "adherent": ADHERENT, "activated_at": T0,
        "created": [{"teleservice": "td_interne", "login": "k.bennani"}],
        "not_created": [{"teleservice": "sanctions", "login": "r.idrissi",
                         "message": "Ce login est déjà utilisé."}],
    },
    "generated_password": {
        "user": {"civilite": "Mme", "prenom": "Salma", "nom": "Alaoui", "login": "s.alaoui",
                 "teleservice": "td_interne"},
        "action": "create", "password": PASSWORD_CANARY, "adherent": ADHERENT,
    },
    "company_locked": {"adherent": ADHERENT, "locked_until": T0 + timedelta(minutes=30),
                       "failures": 5},
    "request_waiting": {"adherent": ADHERENT, "submission_id": "S20261126-ab12cd34",
                        "request": {"id": 7, "kind": "delegue_change",
                                    "summary": "Nouvelle personne déléguée : Mme Leila Berrada"}},
    "request_decided": {"adherent": ADHERENT, "decision": "approved", "decided_at": T0,
                        "request": {"id": 7, "kind": "company_change",
                                    "summary": "Adresse : 5, rue Allal Ben Abdellah, Rabat"}},
    "admin_password_reset": {"adherent": ADHERENT, "password": PASSWORD_CANARY,
                             "delegue": {"civilite": None, "prenom": "Karim", "nom": "Bennani"}},
    "prefilled_workbook": {"adherent": ADHERENT, "delegue": {"civilite": "Mme", "prenom": "Hind", "nom": "Berrada"}},
    "submission_reverted": {
        "adherent": ADHERENT, "target": "S20261126-ab12cd34", "file": "bordereau <Al Baraka> & fils.xlsx",
        "revert_id": "R20261127T100000-aa11bb22", "reverted_at": T0, "reason": "Fichier de l'an dernier",
        "accounts": [
            {"login": "k.bennani", "teleservice": "td_interne", "action": "disable",
             "fields": [{"column": "Statut", "old": "Actif", "new": "Désactivé"}]},
            {"login": "m.tazi", "teleservice": "easypaiement", "action": "update",
             "fields": [{"column": "Email", "old": "mehdi.tazi@albaraka.ma", "new": "m.tazi@albaraka.ma"},
                        {"column": "Mot de passe"}]},
        ],
        "settings": [{"kind": "confirmations",
                      "fields": [{"column": "Nombre de confirmations E@syPaiement", "old": 2, "new": 1}]}],
        "left": [{"login": "s.alaoui", "teleservice": "td_interne", "setting": None}],
    },
    "batch_summary": {
        "batch": {"file": "lot-novembre.zip", "received_at": T0},
        "items": [
            {"file": "a.xlsx", "status": "accepted", "adherent": "123456",
             "request_type": "mise_a_jour", "submission_id": "S1", "errors": 0, "warnings": 1},
            {"file": "b.xlsx", "status": "rejected", "adherent": None, "request_type": None,
             "submission_id": "S2", "errors": 3, "warnings": 0},
            {"file": "c.xlsx", "status": "duplicate", "adherent": "654321",
             "request_type": "controle", "submission_id": "S3", "errors": 0, "warnings": 0},
        ],
    },
    "mail_reply": {
        "original_subject": "Bordereau téléservices", "case": "outcome", "max_mb": 25,
        "spreadsheets": [], "how_to_save": "Enregistrez-le au format .xlsx.",
        "items": [
            {"file": "a.xlsx", "status": "rejected", "submission_id": "S1", "adherent": "123456",
             "request_type": "mise_a_jour", "warnings": 0, "annotated": True, "batch": False,
             "errors": [{"code": "REQUIRED", "message": "Le nom est obligatoire.", "sheet": "Délégué",
                         "row": 4, "column": "Nom", "cell": "B4"}]},
            {"file": "lot.zip", "status": "accepted", "submission_id": None, "adherent": None,
             "request_type": None, "warnings": 0, "annotated": False, "batch": True, "errors": []},
        ],
    },
}


def queue(engine: Engine, *, kind: str = "rejected", recipients: tuple[str, ...] = (
          "delegue@albaraka.ma",), attachments: tuple[Path, ...] = (), now: datetime = T0) -> str:
    with engine.begin() as conn:
        return enqueue(Mails(conn), kind=kind, recipients=recipients, context=SAMPLE_CONTEXTS[kind],
                       attachments=attachments, submission_id="S20261126-ab12cd34", now=now)


def row(engine: Engine, message_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(mail_queue).where(mail_queue.c.message_id == message_id)
        ).one()


def body(mail: EmailMessage, subtype: str) -> str:
    part = mail.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()
    return content


def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "bordereau-annote.xlsx"
    path.write_bytes(b"PK\x03\x04 annotated workbook bytes")
    return path


# --- Delivery -------------------------------------------------------------------


def test_a_queued_mail_is_delivered_with_its_attachment_and_message_id(
    engine: Engine, running: SmtpServer, tmp_path: Path
) -> None:
    message_id = queue(engine, attachments=(workbook(tmp_path),))

    counts = send_due(engine, SmtpTransport(smtp_settings(running.port)), now=T0,
                      give_up_after=GIVE_UP)

    assert counts == DispatchCounts(sent=1)
    [envelope] = running.handler.messages
    assert envelope.rcpt_tos == ["delegue@albaraka.ma"]
    assert envelope.mail_from == "teleservices@cimr.ma"
    [mail] = running.handler.parsed()
    assert mail["Message-ID"] == message_id
    assert mail["Subject"].startswith("Demande rejetée")
    assert mail["From"] == "TéléServices CIMR <teleservices@cimr.ma>"
    plain = body(mail, "plain")
    assert "corrigez les cellules en rouge" in plain
    # The cells emptied of their secrets, and the other way: the person's own original.
    assert "ressaisissez les cellules marquées en mauve" in plain and "fichier d'origine" in plain
    assert "ressaisissez les cellules marquées en mauve" in body(mail, "html")
    assert "&lt;Al Baraka&gt; &amp; fils" in body(mail, "html")
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "bordereau-annote.xlsx"
    assert attachment.get_content() == b"PK\x03\x04 annotated workbook bytes"
    stored = row(engine, message_id)
    assert (stored.status, stored.attempts, stored.sent_at) == ("sent", 1, T0)


def test_while_the_server_is_down_the_mail_waits_then_goes_exactly_once(
    engine: Engine, server: SmtpServer
) -> None:
    transport = SmtpTransport(smtp_settings(server.port))
    message_id = queue(engine)

    assert send_due(engine, transport, now=T0, give_up_after=GIVE_UP) == DispatchCounts(retried=1)
    stored = row(engine, message_id)
    assert (stored.status, stored.attempts) == ("pending", 1)
    assert stored.next_attempt_at == T0 + backoff(1)
    assert "ConnectionRefusedError" in stored.last_error

    # Not due yet: nothing is tried.
    assert send_due(engine, transport, now=T0 + timedelta(seconds=10),
                    give_up_after=GIVE_UP) == DispatchCounts()
    server.start()
    later = T0 + backoff(1)
    assert send_due(engine, transport, now=later, give_up_after=GIVE_UP) == DispatchCounts(sent=1)
    for hours in (1, 2, 50):
        assert send_due(engine, transport, now=later + timedelta(hours=hours),
                        give_up_after=GIVE_UP) == DispatchCounts()

    assert [m["Message-ID"] for m in server.handler.parsed()] == [message_id]
    stored = row(engine, message_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("sent", 2, None)


def test_a_4xx_reply_is_retried_later(engine: Engine, running: SmtpServer) -> None:
    running.handler.reply = "451 try later"
    message_id = queue(engine)

    counts = send_due(engine, SmtpTransport(smtp_settings(running.port)), now=T0,
                      give_up_after=GIVE_UP)

    assert counts == DispatchCounts(retried=1)
    stored = row(engine, message_id)
    assert stored.status == "pending"
    assert "451" in stored.last_error
    assert stored.next_attempt_at == T0 + timedelta(seconds=30)


def test_a_5xx_reply_fails_the_mail_for_good(engine: Engine, running: SmtpServer) -> None:
    running.handler.reply = "550 no"
    message_id = queue(engine)
    transport = SmtpTransport(smtp_settings(running.port))

    assert send_due(engine, transport, now=T0, give_up_after=GIVE_UP) == DispatchCounts(failed=1)
    assert send_due(engine, transport, now=T0 + timedelta(hours=2),
                    give_up_after=GIVE_UP) == DispatchCounts()
    stored = row(engine, message_id)
    assert (stored.status, stored.attempts) == ("failed", 1)
    assert "550" in stored.last_error


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        yield listener.getsockname()[1]


@pytest.fixture
def hanging_up_port() -> Iterator[int]:
    """A port that accepts each connection and closes it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


@pytest.mark.parametrize(("port_fixture", "expected"), [
    ("silent_port", "timed out"),
    ("hanging_up_port", "SMTPServerDisconnected"),
])
def test_a_hung_or_hanging_up_server_means_try_again_later(
    engine: Engine, request: pytest.FixtureRequest, port_fixture: str, expected: str
) -> None:
    port: int = request.getfixturevalue(port_fixture)
    message_id = queue(engine)
    transport = SmtpTransport(smtp_settings(port, smtp_timeout=0.5))

    assert send_due(engine, transport, now=T0, give_up_after=GIVE_UP) == DispatchCounts(retried=1)
    assert expected in row(engine, message_id).last_error


def test_a_mail_is_given_up_after_the_configured_time(engine: Engine, server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_settings(server.port))
    message_id = queue(engine)

    assert send_due(engine, transport, now=T0, give_up_after=GIVE_UP) == DispatchCounts(retried=1)
    assert send_due(engine, transport, now=T0 + GIVE_UP - timedelta(minutes=1),
                    give_up_after=GIVE_UP) == DispatchCounts(retried=1)
    assert send_due(engine, transport, now=T0 + GIVE_UP + timedelta(minutes=1),
                    give_up_after=GIVE_UP) == DispatchCounts(failed=1)

    stored = row(engine, message_id)
    assert (stored.status, stored.attempts) == ("failed", 3)
    assert stored.last_error.startswith("gave up after 3 attempts")


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 7, 8, 50)] == [
        30, 60, 120, 240, 1920, 3600, 3600]


def test_a_generated_password_leaves_the_database_once_sent(
    engine: Engine, running: SmtpServer
) -> None:
    message_id = queue(engine, kind="generated_password", recipients=("s.alaoui@albaraka.ma",))
    waiting = row(engine, message_id)
    assert PASSWORD_CANARY not in str(waiting._mapping)  # encrypted while it waits
    assert PASSWORD_CANARY in readable_body(waiting.body_text)
    assert PASSWORD_CANARY in readable_body(waiting.body_html)

    send_due(engine, SmtpTransport(smtp_settings(running.port)), now=T0, give_up_after=GIVE_UP)

    [mail] = running.handler.parsed()
    assert PASSWORD_CANARY in body(mail, "plain")
    assert PASSWORD_CANARY in body(mail, "html")
    stored = row(engine, message_id)
    assert stored.status == "sent"
    assert (stored.body_text, stored.body_html) == ("", None)
    assert PASSWORD_CANARY not in str(stored._mapping)


def test_an_admin_password_that_fails_for_good_leaves_the_database_too(
    engine: Engine, running: SmtpServer
) -> None:
    running.handler.reply = "550 no such user"
    message_id = queue(engine, kind="admin_password_reset")

    send_due(engine, SmtpTransport(smtp_settings(running.port)), now=T0, give_up_after=GIVE_UP)

    stored = row(engine, message_id)
    assert stored.status == "failed"
    assert PASSWORD_CANARY not in str(stored._mapping)


def test_smtp_credentials_never_show_in_errors_or_logs(
    engine: Engine, server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    server._options = {"authenticator": refuse, "auth_require_tls": False}
    server.start()
    message_id = queue(engine)
    transport = SmtpTransport(smtp_settings(server.port, smtp_user=SMTP_USER,
                                            smtp_password=SMTP_PASSWORD))

    with caplog.at_level("DEBUG"):
        counts = send_due(engine, transport, now=T0, give_up_after=GIVE_UP)

    # A refused login is the configuration, not the message: kept for later.
    assert counts == DispatchCounts(retried=1)
    stored = row(engine, message_id)
    assert "authentication" in stored.last_error
    for secret in (SMTP_USER, SMTP_PASSWORD):
        assert secret not in stored.last_error
        assert secret not in caplog.text
        assert secret not in repr(transport)


def test_an_authenticated_session_delivers(engine: Engine, server: SmtpServer) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def accept(server_: SMTP, session: Session, envelope: Envelope, mechanism: str,
               auth_data: Any) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    server._options = {"authenticator": accept, "auth_require_tls": False}
    server.start()
    queue(engine)
    transport = SmtpTransport(smtp_settings(server.port, smtp_user=SMTP_USER,
                                            smtp_password=SMTP_PASSWORD))

    assert send_due(engine, transport, now=T0, give_up_after=GIVE_UP) == DispatchCounts(sent=1)
    assert logins == [(SMTP_USER.encode(), SMTP_PASSWORD.encode())]


def test_two_dispatchers_never_send_the_same_mail(engine: Engine, running: SmtpServer) -> None:
    ids = {queue(engine, recipients=(f"delegue{i}@albaraka.ma",)) for i in range(12)}
    transport = SmtpTransport(smtp_settings(running.port))
    results: list[DispatchCounts] = []

    def work() -> None:
        results.append(send_due(engine, transport, now=T0, give_up_after=GIVE_UP))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    received = [m["Message-ID"] for m in running.handler.parsed()]
    assert sorted(received) == sorted(ids)
    assert sum(r.sent for r in results) == 12


# --- The queue ------------------------------------------------------------------


def test_a_mail_queued_in_a_rolled_back_transaction_is_never_sent(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        enqueue(Mails(conn), kind="rejected", recipients=["delegue@albaraka.ma"],
                context=SAMPLE_CONTEXTS["rejected"], now=T0)
        raise RuntimeError("the submission failed")

    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(mail_queue)).scalar() == 0


def test_recipients_are_deduplicated_and_invalid_ones_dropped(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = queue(engine, recipients=(
        "Delegue@AlBaraka.ma", "delegue@albaraka.ma ", "fiduciaire@cabinet.ma",
        "a@b.ma\r\nBcc: victim@example.com", "un@a.ma, deux@b.ma", "Nom <nom@a.ma>", "",
    ))

    stored = row(engine, message_id)
    assert stored.recipients == ["Delegue@albaraka.ma", "fiduciaire@cabinet.ma"]
    assert stored.status == "pending"
    assert "\\r\\nBcc" in caplog.text  # logged, escaped: no forged log line


def test_a_mail_with_no_valid_recipient_is_stored_as_failed(engine: Engine) -> None:
    message_id = queue(engine, kind="generated_password", recipients=("pas-une-adresse",))

    stored = row(engine, message_id)
    assert (stored.status, stored.last_error) == ("failed", "no valid recipient")
    assert PASSWORD_CANARY not in str(stored._mapping)


# --- Without an SMTP host: .eml files ----------------------------------------------


def test_without_smtp_host_mails_are_written_as_eml_files(engine: Engine, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    transport = make_transport(Settings(outbox=outbox, mail_from="teleservices@cimr.ma"))
    assert isinstance(transport, EmlTransport)
    message_id = queue(engine, attachments=(workbook(tmp_path),))

    assert send_due(engine, transport, now=T0, give_up_after=GIVE_UP) == DispatchCounts(sent=1)

    [path] = list((outbox / "mail").iterdir())  # no temporary file left behind
    assert path.name == f"20261126T090000Z-rejected-{message_id[1:33]}.eml"
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Message-ID"] == message_id
    assert mail["To"] == "delegue@albaraka.ma"
    assert mail["From"] == "teleservices@cimr.ma"
    assert mail["Date"].datetime == T0
    assert mail["Subject"].startswith("Demande rejetée – «\u00a0bordereau <Al Baraka> & fils.xlsx")
    assert mail.get_content_type() == "multipart/mixed"
    assert "Erreurs à corriger" in body(mail, "plain")
    assert "<table" in body(mail, "html")
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "bordereau-annote.xlsx"


def test_a_missing_attachment_is_retried_not_lost(engine: Engine, tmp_path: Path) -> None:
    message_id = queue(engine, attachments=(tmp_path / "pas-encore-ecrit.xlsx",))

    counts = send_due(engine, EmlTransport(tmp_path / "outbox"), now=T0, give_up_after=GIVE_UP)

    assert counts == DispatchCounts(retried=1)
    assert row(engine, message_id).last_error == "attachment not found: pas-encore-ecrit.xlsx"


# --- Templates --------------------------------------------------------------------


def test_every_kind_has_a_sample_context() -> None:
    assert set(SAMPLE_CONTEXTS) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_templates_render_in_french(kind: str) -> None:
    mail = render(kind, SAMPLE_CONTEXTS[kind])

    assert mail.subject and "\n" not in mail.subject
    for part in (mail.subject, mail.text, mail.html):
        for leftover in ("{{", "}}", "{%", "{#", "None", "Undefined", "[]"):
            assert leftover not in part, (leftover, part)
    for part in (mail.text, mail.html):
        assert "Responsable de l'Agence Virtuelle" in part
        assert "100, Bd Abdelmoumen, 20340 – Casablanca" in part
        assert "agencevirtuelle@cimr.ma" in part
    assert mail.text.startswith(("Madame, Monsieur,", "Bonjour "))
    # Inline CSS only: nothing fetched from elsewhere.
    for external in ("<link", "<style", "<script", "src=", "http://", "https://", "url("):
        assert external not in mail.html
    assert (PASSWORD_CANARY in mail.text) == (kind in SECRET_KINDS)
    assert PASSWORD_CANARY not in mail.subject


def test_html_is_escaped_and_text_is_not() -> None:
    mail = render("accepted", SAMPLE_CONTEXTS["accepted"])

    assert "bordereau <Al Baraka> & fils.xlsx" in mail.text
    assert "bordereau &lt;Al Baraka&gt; &amp; fils.xlsx" in mail.html
    assert "<Al Baraka>" not in mail.html


def test_reports_are_told_per_action_and_per_teleservice() -> None:
    text = render("accepted", SAMPLE_CONTEXTS["accepted"]).text

    assert "- 2 comptes créés" in text
    assert "- 1 mot de passe réinitialisé" in text
    assert "- Télédéclaration (utilisateur interne)\u00a0: 2 créations" in text
    assert "- E@syPaiement (règlement des cotisations)\u00a0: 1 modification" in text
    assert "Demande n°\u00a07" in text
    assert "26 novembre 2026 à 10\u00a0h\u00a000" in text  # Casablanca time (UTC+1)


def test_a_rejection_lists_every_finding_where_it_is() -> None:
    text = render("rejected", SAMPLE_CONTEXTS["rejected"]).text

    assert "- [REQUIRED] feuille «\u00a0Délégué\u00a0», cellule B4\u00a0: Le nom" in text
    assert "- [TEMPLATE_MISMATCH] ensemble du fichier\u00a0: La version" in text
    assert "3 erreurs" in text


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        render("nope", {})
