"""The intake's words: every part of the service that can fail is said in French, by the name faults gives it."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioner.service.intake import faults
from provisioner.service.intake.health import describe
from provisioner.wording.intake import PART_LABELS

PARTS = {faults.DATABASE, faults.OUTBOX, faults.ARCHIVE, faults.QUARANTINE, faults.VAR, faults.INBOX,
         faults.READER, faults.MAILBOX, faults.KEY}


def test_every_part_of_the_service_has_its_words() -> None:
    assert set(PART_LABELS) == PARTS


def test_a_failing_part_is_said_with_its_reason_and_since_when() -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    said = describe({"part": faults.OUTBOX, "reason": "full", "since": "2026-12-07T09:32:00+00:00"}, now, UTC)
    assert said.startswith("outbox non inscriptible (disque plein) depuis ")
    assert "9 h 32" in said
