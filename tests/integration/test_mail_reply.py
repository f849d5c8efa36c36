"""The reply to a mail received by the IMAP door: in its thread, marked auto-replied, never to a robot,
rate-limited per address, and saying nothing of who exists to an unauthenticated sender."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.mail.dispatch import send_due
from provisioner.mail.eml_transport import EmlTransport
from provisioner.reports.report_model import stored_report
from provisioner.security.secret_key import install
from provisioner.service.mailbox.mail_parse import ParsedMail
from provisioner.service.mailbox.mail_reply import MAX_PER_HOUR, outcome_item, queue_reply
from provisioner.wording.submission import AUTH_FAILED

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def secret_key(tmp_path: Path) -> None:
    install(Settings(var_dir=tmp_path / "var"))


def _mail(**overrides: object) -> ParsedMail:
    values: dict[str, object] = {
        "sender": "hind.berrada@albaraka.ma", "subject": "Bordereau téléservices",
        "message_id": "<m2@albaraka.ma>", "references": ("<m1@albaraka.ma>",)}
    values.update(overrides)
    return ParsedMail(**values)  # type: ignore[arg-type]


def _sent(engine: Engine, outbox: Path) -> list[bytes]:
    send_due(engine, EmlTransport(outbox), now=T0 + timedelta(minutes=1), give_up_after=timedelta(hours=1))
    return [p.read_bytes() for p in sorted((outbox / "mail").glob("*.eml"))]


def test_the_reply_is_in_the_senders_thread_and_marked_auto_replied(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        queue_reply(conn, _mail(), case="no_workbook", items=[], attachments=[], max_mb=25, now=T0)
    (raw,) = _sent(engine, tmp_path / "outbox")
    reply = message_from_bytes(raw, policy=policy.default)
    assert reply["Subject"] == "Re: Bordereau téléservices"
    assert reply["To"] == "hind.berrada@albaraka.ma"
    assert reply["In-Reply-To"] == "<m2@albaraka.ma>"
    assert reply["References"] == "<m1@albaraka.ma> <m2@albaraka.ma>"
    assert reply["Auto-Submitted"] == "auto-replied"
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "aucun classeur" in text and ".xlsx" in text


def test_a_workbook_in_another_format_is_named_with_how_to_save_it(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        queue_reply(conn, _mail(spreadsheets=("bordereau 2019.xls",)), case="no_workbook", items=[],
                    attachments=[], max_mb=25, now=T0)
    (raw,) = _sent(engine, tmp_path / "outbox")
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "La pièce jointe « bordereau 2019.xls » n'est pas au format .xlsx." in " ".join(text.split())
    assert "Classeur Excel (*.xlsx)" in text


def test_robots_get_nothing_and_one_address_at_most_a_few_replies_an_hour(engine: Engine) -> None:
    with engine.begin() as conn:
        assert queue_reply(conn, _mail(automatic="auto-submitted"), case="no_workbook", items=[],
                           attachments=[], max_mb=25, now=T0) is None
        sent = [queue_reply(conn, _mail(), case="no_workbook", items=[], attachments=[], max_mb=25,
                            now=T0 + timedelta(minutes=i)) for i in range(MAX_PER_HOUR + 2)]
        later = queue_reply(conn, _mail(), case="no_workbook", items=[], attachments=[], max_mb=25,
                            now=T0 + timedelta(hours=2))
    assert all(sent[:MAX_PER_HOUR]) and sent[MAX_PER_HOUR:] == [None, None]
    assert later is not None


def test_a_locked_company_reads_like_a_wrong_password_to_the_sender() -> None:
    locked = {"status": "rejected", "submission_id": "S1", "errors": [
        {"code": "ACCOUNT_LOCKED", "message": "Trop de tentatives : bloqué jusqu'au 7 décembre à 10 h",
         "sheet": "Délégué", "row": 9, "column": "Mot de passe", "cell": "B9"}]}
    wrong = {"status": "rejected", "submission_id": "S2", "errors": [
        {"code": "AUTH_FAILED", "message": AUTH_FAILED, "sheet": "Délégué", "row": 9,
         "column": "Mot de passe", "cell": "B9"}]}
    said = [outcome_item("a.xlsx", stored_report(report))["errors"] for report in (locked, wrong)]
    assert said[0] == said[1]
