"""A received mail read as hostile: its workbooks told by their bytes, whether it may be answered, and
mails that break MIME or bomb their headers."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

import pytest

from provisioner.service.mailbox.mail_parse import MAX_HEADER_LINES, parse_mail, workbook_kind
from tests.factory import make_workbook
from tests.mail_fixtures import mail

OWN = "teleservices@cimr.ma"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_workbook(tmp_path_factory.mktemp("wb") / "b.xlsx").read_bytes()


@pytest.mark.parametrize(("fixture", "name", "sender"), [
    ("outlook", "bordereau téléservices décembre.xlsx", "hind.berrada@albaraka.ma"),
    ("gmail", "bordereau-téléservices (1).xlsx", "karim.bennani.rh@gmail.com"),
    ("apple_inline", "bordereau téléservices été.xlsx", "nadia.tazi@icloud.com"),
    ("forwarded", "bordereau.xlsx", "hind.berrada@albaraka.ma"),  # Reply-To wins over From
])
def test_finds_the_workbook_of_each_client_by_its_bytes_with_its_decoded_name(
        workbook: bytes, fixture: str, name: str, sender: str) -> None:
    parsed = parse_mail(mail(fixture, workbook), own_address=OWN)
    assert [(w.name, w.kind, w.data) for w in parsed.workbooks] == [(name, "xlsx", workbook)]
    assert parsed.sender == sender
    assert not parsed.automatic and not parsed.broken and not parsed.winmail
    assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")


def test_outlook_winmail_dat_is_seen_as_such_and_is_no_workbook() -> None:
    parsed = parse_mail(mail("outlook_winmail"), own_address=OWN)
    assert parsed.winmail and parsed.workbooks == ()
    assert parsed.automatic == "" and parsed.sender == "paie@fiduciaire-atlas.ma"


def test_a_mail_with_a_pdf_only_has_no_workbook_but_may_be_answered() -> None:
    parsed = parse_mail(mail("no_workbook"), own_address=OWN)
    assert parsed.workbooks == () and parsed.automatic == "" and parsed.sender == "comptabilite@sarl-nour.ma"


@pytest.mark.parametrize(("fixture", "why"), [("auto_reply", "auto-submitted"), ("bounce", "auto-submitted")])
def test_robots_get_no_reply(fixture: str, why: str) -> None:
    assert parse_mail(mail(fixture), own_address=OWN).automatic == why


@pytest.mark.parametrize(("header", "value", "why"), [
    ("Auto-Submitted", "auto-generated", "auto-submitted"),
    ("X-Autoreply", "yes", "auto-reply"),
    ("Precedence", "bulk", "precedence"),
    ("Precedence", "junk", "precedence"),
    ("Precedence", "list", "precedence"),
    ("Return-Path", "<>", "empty return path"),
    ("From", "Téléservices <TELESERVICES@cimr.ma>", "our own address"),
])
def test_each_mark_of_an_automatic_mail_silences_the_reply(header: str, value: str, why: str) -> None:
    message = _plain_mail()
    del message[header]
    message[header] = value
    assert parse_mail(message.as_bytes(), own_address=OWN).automatic == why


def test_auto_submitted_no_is_a_person() -> None:
    message = _plain_mail()
    message["Auto-Submitted"] = "no"
    assert parse_mail(message.as_bytes(), own_address=OWN).automatic == ""


def test_octet_stream_zip_of_a_fiduciary_is_a_batch_and_a_word_document_is_not_a_workbook(workbook: bytes) -> None:
    batch = io.BytesIO()
    with zipfile.ZipFile(batch, "w") as archive:
        archive.writestr("client-1.xlsx", workbook)
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    message = _plain_mail()
    message.add_attachment(batch.getvalue(), maintype="application", subtype="octet-stream",
                           filename="clients décembre.zip")
    message.add_attachment(docx.getvalue(), maintype="application", subtype="octet-stream", filename="lettre.docx")
    parsed = parse_mail(message.as_bytes(), own_address=OWN)
    assert [(w.name, w.kind) for w in parsed.workbooks] == [("clients décembre.zip", "zip")]
    assert parsed.spreadsheets == ()
    assert workbook_kind(b"\xd0\xcf\x11\xe0 an old .xls") is None


def test_an_old_excel_file_is_no_workbook_but_is_named_for_the_reply() -> None:
    message = _plain_mail()
    message.add_attachment(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old workbook", maintype="application",
                           subtype="vnd.ms-excel", filename="bordereau 2019.xls")
    parsed = parse_mail(message.as_bytes(), own_address=OWN)
    assert parsed.workbooks == () and parsed.spreadsheets == ("bordereau 2019.xls",)


def test_a_workbook_without_a_name_gets_one_of_ours_and_an_odd_name_is_shown_escaped(workbook: bytes) -> None:
    message = _plain_mail()
    message.add_attachment(workbook, maintype="application", subtype="octet-stream")
    message.add_attachment(workbook, maintype="application", subtype="octet-stream", filename="a\x07b.xlsx")
    parsed = parse_mail(message.as_bytes(), own_address=OWN)
    assert [w.name for w in parsed.workbooks] == ["piece-jointe-1.xlsx", "a\\x07b.xlsx"]


def test_a_header_bomb_is_refused_before_the_parser_runs() -> None:
    lines = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 40) for i in range(MAX_HEADER_LINES + 1))
    parsed = parse_mail(lines + b"From: a@b.ma\r\n\r\nbody\r\n", own_address=OWN)
    assert parsed.broken == "too many header lines" and parsed.workbooks == ()


def test_mime_nested_past_reason_is_broken_and_a_truncated_mail_does_not_raise(workbook: bytes) -> None:
    nested = "From: a@b.ma\r\nMIME-Version: 1.0\r\n"
    for depth in range(30):
        nested += f'Content-Type: multipart/mixed; boundary="b{depth}"\r\n\r\n--b{depth}\r\n'
    nested += "Content-Type: text/plain\r\n\r\nx\r\n"
    assert parse_mail(nested.encode(), own_address=OWN).broken == "MIME nested too deep"
    truncated = mail("gmail", workbook)[: len(mail("gmail", workbook)) // 2]
    parsed = parse_mail(truncated, own_address=OWN)
    assert parsed.sender == "karim.bennani.rh@gmail.com"  # read as far as it goes, never a traceback


def _plain_mail() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Hind Berrada <hind.berrada@albaraka.ma>"
    message["To"] = OWN
    message["Subject"] = "Bordereau"
    message["Message-ID"] = "<m1@albaraka.ma>"
    message.set_content("Bonjour")
    return message

