"""Subjects as they travel: the bytes sent to a real SMTP server, and the .eml bytes, parsed back.

Python's header folder drops the space between two encoded words when it
folds a long non-ASCII subject: « corrected.xlsx »– adhérent 123456. Each
subject must come back exactly as rendered, whatever the length of the name.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.mail.dispatch import send_due
from provisioner.mail.eml_transport import EmlTransport
from provisioner.mail.queue import enqueue
from provisioner.mail.render import render
from provisioner.mail.smtp_transport import SmtpTransport
from provisioner.store.mails import Mails
from tests.integration.test_mail import GIVE_UP, T0, running, sample_report, server, smtp_settings  # noqa: F401
from tests.smtp_server import SmtpServer

NAMES = [
    "a.xlsx",
    "corrected.xlsx",
    "bordereau.xlsx",
    "bordereau-téléservices-2026-version-finale-corrigée-par-le-cabinet-comptable-casablanca.xlsx",
    "r\\xe9sum\\xe9.xlsx",
    "é" * 120 + ".xlsx",
]


def report_for(name: str, status: str) -> dict[str, Any]:
    return {**sample_report(status), "file": name}


def queue_all(engine: Engine, kind: str, status: str) -> list[str]:
    subjects = []
    with engine.begin() as conn:
        for i, name in enumerate(NAMES):
            context = {"report": report_for(name, status)}
            enqueue(Mails(conn), kind=kind, recipients=("delegue@albaraka.ma",), context=context,
                    submission_id=f"S20261126-{i:08d}", now=T0)
            subjects.append(render(kind, context).subject)
    return subjects


def assert_folded_well(raw: bytes, expected: set[str]) -> str:
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in headers.split(b"\r\n")), headers
    subject = str(message_from_bytes(raw, policy=policy.default)["Subject"])
    assert subject in expected, subject
    return subject


@pytest.mark.parametrize(("kind", "status"), [("accepted", "accepted"), ("rejected", "rejected")])
def test_subjects_sent_over_smtp_come_back_exactly(engine: Engine, running: SmtpServer, kind: str,
                                                   status: str) -> None:
    expected = set(queue_all(engine, kind, status))
    assert any("«\u00a0corrected.xlsx\u00a0» – adhérent 123456" in s for s in expected)

    send_due(engine, SmtpTransport(smtp_settings(running.port)), now=T0, give_up_after=GIVE_UP)

    got = {assert_folded_well(e.original_content or b"", expected) for e in running.handler.messages}
    assert got == expected


def test_subjects_written_as_eml_come_back_exactly(engine: Engine, tmp_path: Path) -> None:
    expected = set(queue_all(engine, "accepted", "accepted"))

    send_due(engine, EmlTransport(tmp_path, mail_from=Settings().mail_from), now=T0, give_up_after=GIVE_UP)

    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == len(NAMES)
    assert {assert_folded_well(f.read_bytes(), expected) for f in files} == expected
