"""One plan per workbook (issues 17 and 23): planned before hashing, and inside the write transaction
only if the store moved meanwhile; a resumed file is not checked again. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from provisioner.domain.view import StoreView
from provisioner.service.context import ServiceContext
from provisioner.service.submission import pipeline
from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import accounts, submissions
from provisioner.workbook import checker
from tests.factory import user
from tests.integration.test_pipeline import subscribed, update_book


@pytest.fixture
def views(monkeypatch: pytest.MonkeyPatch) -> list[StoreView]:
    """The view each plan is made on, in order."""
    seen: list[StoreView] = []
    make_plan = pipeline.make_plan

    def counted(sheets: Any, view: StoreView) -> Any:
        seen.append(view)
        return make_plan(sheets, view)

    monkeypatch.setattr(pipeline, "make_plan", counted)
    return seen


def test_a_workbook_is_planned_once_when_the_store_does_not_move(ctx: ServiceContext, tmp_path: Path,
                                                                  views: list[StoreView]) -> None:
    subscribed(ctx, tmp_path)
    views.clear()
    outcome = process_file(ctx, update_book(tmp_path, "u.xlsx", users={"sanctions": [user("omar.sa", "sanctions")]}))
    assert outcome.status == "accepted", outcome.report["errors"]
    assert len(views) == 1
    assert [c["login"] for c in outcome.report["changes"]] == ["omar.sa"]


def test_it_is_planned_again_on_the_store_that_moved_while_it_was_hashed(
        ctx: ServiceContext, tmp_path: Path, views: list[StoreView], monkeypatch: pytest.MonkeyPatch) -> None:
    subscribed(ctx, tmp_path)
    views.clear()
    hash_plan = pipeline.hash_plan

    def an_operator_disables_hind_meanwhile(*args: Any) -> Any:
        if len(args) == 3:  # the hashing between the two transactions, not the top-up inside the second
            with ctx.engine.begin() as conn:
                conn.execute(update(accounts).where(accounts.c.login == "hind.td").values(status="disabled"))
        return hash_plan(*args)

    monkeypatch.setattr(pipeline, "hash_plan", an_operator_disables_hind_meanwhile)
    book = update_book(tmp_path, "u.xlsx", users={"td_interne": [{"action": "Modifier", "login": "hind.td",
                                                                  "fonction": "Directrice RH"}]})
    process_file(ctx, book)
    assert [view.accounts["hind.td"].status for view in views] == ["active", "disabled"]


@pytest.mark.parametrize("valid", [True, False], ids=["accepted", "rejected"])
def test_a_file_resumed_after_a_crash_is_not_checked_again(ctx: ServiceContext, tmp_path: Path, valid: bool,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Committed, then the process died before its outputs: the same bytes come again."""
    subscribed(ctx, tmp_path)
    sanctions = [user("omar.sa", "sanctions", email="omar@x.ma" if valid else "pas-une-adresse")]
    book = update_book(tmp_path, "u.xlsx", users={"sanctions": sanctions})
    first = process_file(ctx, book)
    with ctx.engine.begin() as conn:
        conn.execute(update(submissions).where(submissions.c.id == first.submission_id).values(finished_at=None))
    reads: list[str] = []
    read_isolated = checker.read_isolated
    monkeypatch.setattr(checker, "read_isolated", lambda path, **kw: reads.append(str(path)) or read_isolated(
        path, **kw))
    monkeypatch.setattr(pipeline, "check_file", lambda *a, **kw: pytest.fail("checked again"))

    again = process_file(ctx, book)

    assert (again.submission_id, again.status) == (first.submission_id, "accepted" if valid else "rejected")
    # An accepted Mise à jour has no output built from the workbook; a rejected one has its annotated
    # copy, from the workbook read once more (no archive copy here: the service's loop writes it).
    assert reads == ([] if valid else [str(book)])
    assert again.parsed is None if valid else again.parsed is not None
    assert (again.folder / "rapport.json").is_file()
