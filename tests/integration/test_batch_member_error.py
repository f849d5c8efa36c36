"""A batch member the service itself fails on is listed in the batch's summary, as an internal error."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from provisioner.service.context import ServiceContext
from provisioner.service.intake import batch, claimed_file
from provisioner.service.intake.batch_summary import SUMMARY_HTML, SUMMARY_JSON, write_summary
from tests.factory import make_workbook


def test_a_member_the_service_failed_on_is_in_the_summary(ctx: ServiceContext, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A fault of the service's own code cannot be caused from outside: handle_one is made to raise.
    # Before: the member's line had no raison_sociale and the summary's template (StrictUndefined) raised,
    # so the whole batch's summary was lost.
    lot = tmp_path / "lot.zip"
    with zipfile.ZipFile(lot, "w") as archive:
        archive.write(make_workbook(tmp_path / "societe-a.xlsx"), "societe-a.xlsx")

    def fails(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(claimed_file, "handle_one", fails)
    with zipfile.ZipFile(lot) as archive:
        line = batch._member(ctx, archive, archive.infolist()[0], tmp_path / "member.xlsx", "lot.zip/societe-a.xlsx",
                             1, "L20261207T101500-0a1b2c3d", None, set(), None)
    folder = write_summary(ctx, batch.BatchResult("L20261207T101500-0a1b2c3d", lines=[line]), "lot.zip",
                           "2026-12-07T10:15:00+00:00")
    page = (folder / SUMMARY_HTML).read_text()
    assert "societe-a.xlsx" in page and "erreur interne" in page
    data = json.loads((folder / SUMMARY_JSON).read_text())
    assert [(w["status"], w["raison_sociale"]) for w in data["workbooks"]] == [("error", None)]
