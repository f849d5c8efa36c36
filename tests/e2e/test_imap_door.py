"""The IMAP door against a real Dovecot: mails put in with APPEND, the service's own rounds, replies read
from the real SMTP test server.

Each test drives one `Service` in-process: `door.sweep_once()` (take the new mails, move the finished
ones), `poll_once()` (the round: the deposited mail processed, the emails sent), then a sweep again.
"""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from imap_tools.folder import MailBoxFolderManager
from imap_tools.imap_utf7 import utf7_encode
from sqlalchemy import select

from provisioner.config import Settings
from provisioner.domain.vocabulary import Door
from provisioner.security.hashing import Hasher
from provisioner.service.context import ServiceContext
from provisioner.service.intake import faults
from provisioner.service.intake.health import read_health
from provisioner.service.intake.rounds import Service
from provisioner.service.mailbox import mail_round
from provisioner.store.db import make_engine, upgrade
from provisioner.store.submissions import Submissions
from provisioner.store.tables import mail_receipts, submissions
from tests.factory import ADMIN_PASSWORD, USER_PASSWORD, adherent, delegue, make_workbook
from tests.imap_server import ImapServer
from tests.mail_fixtures import mail
from tests.smtp_server import SmtpServer

PROCESSED, IGNORED = "Traités", "Ignorés"


def make_service(root: Path, db_url: str, imap: ImapServer, smtp: SmtpServer) -> Service:
    settings = Settings(
        database_url=db_url, inbox=root / "inbox", outbox=root / "outbox", archive=root / "archive",
        quarantine=root / "var" / "quarantine", var_dir=root / "var", hash_workers=1, poll_seconds=0.5,
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, smtp_timeout=5,
        imap_host="127.0.0.1", imap_port=imap.port, imap_ssl=False, imap_user=imap.user,
        imap_password=imap.password)
    engine = make_engine(db_url)
    upgrade(engine)
    return Service(ServiceContext(settings, engine, Hasher(1)), show_progress=False)


@pytest.fixture
def service(tmp_path: Path, sqlite_url: str, imap: ImapServer, smtp: SmtpServer) -> Iterator[Service]:
    running = make_service(tmp_path, sqlite_url, imap, smtp)
    yield running
    running.close()
    running.ctx.hasher.close()


def deliver(service: Service) -> None:
    """What `serve` does for a new mail: the door takes it, a round processes it, the door moves it."""
    assert service.door is not None
    service.door.sweep_once()
    service.poll_once()
    service.door.sweep_once()


@pytest.fixture(scope="module")
def abonnement(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_workbook(tmp_path_factory.mktemp("wb") / "a.xlsx").read_bytes()


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("wb") / "f.xlsx"
    return make_workbook(path, delegue_values=delegue(nom="")).read_bytes()


def _replies(smtp: SmtpServer, to: str) -> list[EmailMessage]:
    return [m for m in smtp.handler.parsed() if m["To"] == to and m["Subject"].startswith("Re:")]


def _everything(message: EmailMessage) -> bytes:
    """A message's bytes with its attachments decoded and the workbooks unzipped: where a canary could hide."""
    found = message.as_bytes()
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found += payload
            if payload.startswith(b"PK"):
                with zipfile.ZipFile(io.BytesIO(payload)) as book:
                    found += b"".join(book.read(n) for n in book.namelist())
    return found


def test_an_accepted_workbook_gets_its_reply_in_the_thread_and_the_mail_moves_to_processed(
        service: Service, imap: ImapServer, smtp: SmtpServer, abonnement: bytes) -> None:
    uid = imap.append(mail("gmail", abonnement))
    deliver(service)

    (reply,) = _replies(smtp, "karim.bennani.rh@gmail.com")
    assert reply["In-Reply-To"] == "<CAH7pQ1xZ9=kPz2Lq8W4VtYx0e1J3s_fN8k2mBvRq5aU7Lw@mail.gmail.com>"
    assert reply["References"] == reply["In-Reply-To"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Subject"] == "Re: Bordereau de mise à jour – adhérent 123456"
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "« bordereau-téléservices (1).xlsx » : accepté" in text
    # The delegate on record (the workbook's, for an Abonnement) still gets the usual email.
    assert any(m["To"] == "hind.berrada@albaraka.ma" for m in smtp.handler.parsed())
    assert imap.uids("INBOX") == [] and len(imap.uids(PROCESSED)) == 1
    with service.ctx.engine.connect() as conn:
        ids = Submissions(conn).by_origin(Door.IMAP, f"INBOX/{_validity(service)}/{uid}")
        assert len(ids) == 1
    for message in smtp.handler.parsed():
        assert ADMIN_PASSWORD.encode() not in _everything(message)
        assert USER_PASSWORD.encode() not in _everything(message)


def test_a_rejected_workbook_gets_its_annotated_copy_in_the_reply(
        service: Service, imap: ImapServer, smtp: SmtpServer, faulty: bytes) -> None:
    imap.append(mail("apple_inline", faulty))
    deliver(service)

    (reply,) = _replies(smtp, "nadia.tazi@icloud.com")
    assert [p.get_filename() for p in reply.iter_attachments()] == ["bordereau-annote.xlsx"]
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "rejeté" in text and "[REQUIRED]" in text
    assert len(imap.uids(PROCESSED)) == 1


def test_a_fiduciarys_zip_is_a_batch_each_workbook_recorded_under_the_mail(
        service: Service, imap: ImapServer, smtp: SmtpServer, tmp_path: Path, abonnement: bytes,
        faulty: bytes) -> None:
    lot = io.BytesIO()
    with zipfile.ZipFile(lot, "w") as archive:
        archive.writestr("client-a.xlsx", abonnement)
        archive.writestr("client-b.xlsx", faulty)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "paie@fiduciaire-atlas.ma", "teleservices@cimr.ma", "Lot"
    message["Message-ID"] = "<lot-1@fiduciaire-atlas.ma>"
    message.set_content("Bonjour, nos bordereaux.")
    message.add_attachment(lot.getvalue(), maintype="application", subtype="octet-stream",
                           filename="bordereaux décembre.zip")
    uid = imap.append(message.as_bytes())
    deliver(service)

    (reply,) = _replies(smtp, "paie@fiduciaire-atlas.ma")
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "« bordereaux décembre.zip » : rejeté (lot" in text  # one of its workbooks was rejected
    with service.ctx.engine.connect() as conn:
        ids = Submissions(conn).by_origin(Door.IMAP, f"INBOX/{_validity(service)}/{uid}")
    assert len(ids) == 2
    assert len(imap.uids(PROCESSED)) == 1


@pytest.mark.parametrize(("fixture", "sender", "says"), [
    ("no_workbook", "comptabilite@sarl-nour.ma", "aucun classeur"),
    ("outlook_winmail", "paie@fiduciaire-atlas.ma", "winmail.dat"),
    ("broken_mime", "contact@imprimerie-saada.ma", "endommagée"),
])
def test_a_mail_without_a_workbook_gets_one_short_reply_and_moves_to_ignored(
        service: Service, imap: ImapServer, smtp: SmtpServer, fixture: str, sender: str, says: str) -> None:
    imap.append(mail(fixture))
    deliver(service)
    (reply,) = _replies(smtp, sender)
    assert says in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert imap.uids("INBOX") == [] and len(imap.uids(IGNORED)) == 1


@pytest.mark.parametrize("fixture", ["auto_reply", "bounce"])
def test_an_automatic_mail_gets_no_reply_at_all(service: Service, imap: ImapServer, smtp: SmtpServer,
                                                fixture: str) -> None:
    imap.append(mail(fixture))
    deliver(service)
    assert smtp.handler.parsed() == []
    assert imap.uids("INBOX") == [] and len(imap.uids(IGNORED)) == 1


def test_a_header_bomb_is_set_aside_unanswered_and_the_next_mail_is_served(
        service: Service, imap: ImapServer, smtp: SmtpServer) -> None:
    bomb = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 60) for i in range(5000))
    imap.append(bomb + b"From: robot@spam.example\r\nSubject: x\r\n\r\nx\r\n")
    imap.append(mail("no_workbook"))
    deliver(service)
    assert [m["To"] for m in smtp.handler.parsed()] == ["comptabilite@sarl-nour.ma"]
    assert imap.uids("INBOX") == [] and len(imap.uids(IGNORED)) == 2


def test_a_mail_that_sets_off_a_bug_is_sealed_away_and_leaves_the_folder(
        service: Service, imap: ImapServer, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(raw: bytes, *, own_address: str) -> None:
        raise RuntimeError("a bug the mail set off")

    monkeypatch.setattr(mail_round, "parse_mail", bug)
    imap.append(mail("no_workbook"))
    deliver(service)
    assert imap.uids("INBOX") == [] and len(imap.uids(IGNORED)) == 1
    assert sorted(p.suffix for p in service.ctx.settings.quarantine.iterdir()) == [".enc", ".json"]
    assert smtp.handler.parsed() == []


def test_a_mail_over_the_size_limit_is_answered_file_too_large_without_being_downloaded(
        tmp_path: Path, sqlite_url: str, imap: ImapServer, smtp: SmtpServer, abonnement: bytes) -> None:
    service = make_service(tmp_path, sqlite_url, imap, smtp)
    object.__setattr__(service.ctx.settings, "imap_max_message_mb", 0.001)  # about 1 kB
    try:
        imap.append(mail("outlook", abonnement))
        deliver(service)
    finally:
        service.close()
    (reply,) = _replies(smtp, "hind.berrada@albaraka.ma")
    assert "FILE_TOO_LARGE" in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert len(imap.uids(IGNORED)) == 1


def test_moving_a_mail_never_expunges_another_one_marked_deleted(
        service: Service, imap: ImapServer, smtp: SmtpServer) -> None:
    deleted = imap.append(b"From: agent@cimr.ma\r\nSubject: brouillon\r\n\r\nx\r\n")
    with imap.connect() as client:  # a person deleted it in their mail client, which did not expunge
        client.select("INBOX")
        client.uid("STORE", str(deleted), "+FLAGS", r"(\Deleted)")
    imap.append(mail("no_workbook"))
    deliver(service)
    assert imap.uids("INBOX") == [deleted] and len(imap.uids(IGNORED)) == 1
    assert len(_replies(smtp, "comptabilite@sarl-nour.ma")) == 1


def test_a_new_uidvalidity_does_not_make_a_mail_new(service: Service, imap: ImapServer, smtp: SmtpServer,
                                                    abonnement: bytes) -> None:
    imap.append(mail("forwarded", abonnement))
    assert service.door is not None
    service.door.sweep_once()  # taken (deposited), not yet processed
    before = imap.uidvalidity()
    imap.change_uidvalidity()
    assert imap.uidvalidity() != before
    service.door.sweep_once()  # the same mail under another key: known by its digest, not taken again
    service.poll_once()
    service.door.sweep_once()
    with service.ctx.engine.connect() as conn:
        assert len(conn.execute(select(mail_receipts)).all()) == 1
        assert len(conn.execute(select(submissions)).all()) == 1
    assert len(_replies(smtp, "hind.berrada@albaraka.ma")) == 1
    assert imap.uids("INBOX") == [] and len(imap.uids(PROCESSED)) == 1


def test_two_services_on_one_mailbox_take_each_mail_once(tmp_path: Path, pg_url: str, imap: ImapServer,
                                                          smtp: SmtpServer, abonnement: bytes,
                                                          faulty: bytes) -> None:
    for index in range(3):
        imap.append(mail("gmail", abonnement if index == 0 else faulty).replace(
            b"Message-ID: <CAH7", b"Message-ID: <%d-CAH7" % index))
    services = [make_service(tmp_path / name, pg_url, imap, smtp) for name in ("a", "b")]
    try:
        sweeps = [threading.Thread(target=s.door.sweep_once) for s in services if s.door is not None]
        for sweep in sweeps:
            sweep.start()
        for sweep in sweeps:
            sweep.join(60)
        for running in services:
            running.poll_once()
        for running in services:
            assert running.door is not None
            running.door.sweep_once()
    finally:
        for running in services:
            running.close()
            running.ctx.hasher.close()
    with services[0].ctx.engine.connect() as conn:
        assert len(conn.execute(select(mail_receipts)).all()) == 3
        assert len(conn.execute(select(submissions)).all()) == 2  # the two faulty workbooks are one file
    assert len(_replies(smtp, "karim.bennani.rh@gmail.com")) == 3
    assert imap.uids("INBOX") == [] and len(imap.uids(PROCESSED)) == 3


def test_a_mailbox_down_is_a_health_fault_and_the_door_comes_back_with_it(
        service: Service, imap: ImapServer, smtp: SmtpServer, abonnement: bytes) -> None:
    door = service.door
    assert door is not None
    imap.stop()
    door.start()  # the door's own thread, as in `serve`
    try:
        _wait_for(lambda: _mailbox_fault(service))
        dropped = make_workbook(service.ctx.settings.inbox / "par-le-dossier.xlsx",
                                adherent_values=adherent(numero="654321"), delegue_values=delegue(email="rh@nour.ma"))
        os.utime(dropped, (time.time() - 60, time.time() - 60))  # finished writing a minute ago
        service.poll_once()  # the inbox folder is served meanwhile: first look, then taken
        assert service.poll_once() == 1 and _mailbox_fault(service)
        imap.start()
        imap.append(mail("gmail", abonnement))
        _wait_for(lambda: not _mailbox_fault(service))
        _wait_for(lambda: service.poll_once() >= 0 and imap.uids(PROCESSED))
    finally:
        service.stopping.set()
        door.join(10)
    assert len(_replies(smtp, "karim.bennani.rh@gmail.com")) == 1


def _mailbox_fault(service: Service) -> bool:
    return any(f["part"] == faults.MAILBOX for f in read_health(service.ctx.settings)["faults"])


def _wait_for(condition: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _validity(service: Service) -> int:
    with service.ctx.engine.connect() as conn:
        return int(conn.execute(select(mail_receipts.c.uidvalidity)).scalar_one())


def test_a_folder_another_instance_created_meanwhile_is_no_mailbox_fault(
        service: Service, imap: ImapServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two `serve` on one mailbox both see « Traités » missing and both create it: the second CREATE is
    # answered ALREADYEXISTS (seen in test_two_services_on_one_mailbox…, as a sweep thread's exception).
    # The window between the check and the create is made certain: the folders exist, the check says no.
    client = imap.connect()
    try:
        for folder in (PROCESSED, IGNORED):
            status, _ = client.create('"' + utf7_encode(folder).decode() + '"')
            assert status == "OK"
    finally:
        client.logout()
    real_exists = MailBoxFolderManager.exists
    asked: set[str] = set()

    def exists_once_missing(manager: MailBoxFolderManager, folder: str) -> bool:
        if folder not in asked:  # the first look, before the other instance's CREATE
            asked.add(folder)
            return False
        return real_exists(manager, folder)

    monkeypatch.setattr(MailBoxFolderManager, "exists", exists_once_missing)
    assert service.door is not None
    with service.door.connect() as box:  # before: MailboxFolderCreateError, a « boîte injoignable » fault
        assert asked == {PROCESSED, IGNORED}
        assert box.folder.exists(PROCESSED) and box.folder.exists(IGNORED)
