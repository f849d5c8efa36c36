"""An adopted file's first instance is fenced (issue 20, point 7): an outcome is recorded only by the claim
that holds the file (SQLite and PostgreSQL).

An instance paused past the stale-heartbeat time has its file adopted (renamed into another instance's
work folder) and processed there. Before: when the first one resumed, it went on with what it had read,
met the committed submission of the same bytes, and recorded the file as its own duplicate: applied
once, but reported and emailed twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from provisioner.service.context import ServiceContext
from provisioner.service.intake import faults
from provisioner.service.submission import pipeline
from provisioner.store.tables import mail_queue, submissions
from tests.factory import make_workbook


def test_a_paused_instance_whose_file_was_adopted_records_nothing(
        ctx: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = tmp_path / "work" / "a", tmp_path / "work" / "b"
    ours.mkdir(parents=True)
    theirs.mkdir()
    claimed = make_workbook(ours / "C20261207T100000-0001")
    adopted = theirs / claimed.name
    real_check = pipeline.check_file
    adopter: list[Any] = []

    def paused_while_read(path: Path, **options: Any) -> Any:
        result = real_check(path, **options)
        if path == claimed:  # paused here, past the stale heartbeat: the other instance adopts the file
            os.rename(claimed, adopted)
            adopter.append(pipeline.process_file(ctx, adopted, name="abonnement.xlsx"))
        return result

    monkeypatch.setattr(pipeline, "check_file", paused_while_read)
    with pytest.raises(faults.ClaimLost):
        pipeline.process_file(ctx, claimed, name="abonnement.xlsx")

    assert [o.status for o in adopter] == ["accepted"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(submissions.c.status)).scalars().all() == ["accepted"]
        kinds = conn.execute(select(mail_queue.c.kind)).scalars().all()
    assert "duplicate" not in kinds and kinds.count("subscription_received") == 1, kinds
    assert [p.name for p in (tmp_path / "outbox").iterdir() if p.is_dir()] == [adopter[0].submission_id]
