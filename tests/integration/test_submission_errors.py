"""The error codes of each submission (`submission_errors`): written with it, brought forward by migration
0006 for stores of before, and ranked for the dashboard without reading a report (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from provisioner.service.read_models.submissions import ErrorCode, frequent_error_codes
from provisioner.store import tables
from provisioner.store.db import upgrade
from provisioner.store.submissions import Submissions, error_code_rows
from tests.conftest import store_at

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def report(*codes: str) -> dict[str, Any]:
    return {"schema": 1, "errors": [{"code": c, "message": "…", "sheet": "Adhérent", "cell": "C4"} for c in codes],
            "warnings": [], "changes": []}


def submission(n: int, status: str, received_at: datetime, *codes: str) -> dict[str, Any]:
    return {"id": f"S{n:08d}", "sha256": f"{n:064x}", "file_name": f"bordereau-{n}.xlsx", "received_at": received_at,
            "status": status, "report": report(*codes) if codes else {"schema": 1, "errors": []}}


@pytest.fixture
def store_0005(db_url: str) -> Iterator[Engine]:
    """A store at revision 0005, before the error codes had their table."""
    with store_at(db_url, "0005") as engine:
        yield engine


def test_the_migration_counts_the_codes_of_every_stored_report(store_0005: Engine) -> None:
    with store_0005.begin() as conn:
        conn.execute(sa.insert(tables.submissions), [
            submission(1, "rejected", T0, "REQUIRED", "REQUIRED", "LOGIN_TAKEN"),
            submission(2, "accepted", T0),
            {**submission(3, "processing", T0), "report": None},
            submission(4, "rejected", T0, "FILE_TYPE"),
        ])

    upgrade(store_0005)

    with store_0005.connect() as conn:
        rows = conn.execute(sa.select(tables.submission_errors).order_by(
            tables.submission_errors.c.submission_id, tables.submission_errors.c.code)).all()
    assert [tuple(r) for r in rows] == [("S00000001", "LOGIN_TAKEN", 1), ("S00000001", "REQUIRED", 2),
                                        ("S00000004", "FILE_TYPE", 1)]


def test_codes_are_written_with_the_submission_and_ranked_by_files_then_occurrences(engine: Engine) -> None:
    with engine.begin() as conn:
        for n, (status, age, codes) in enumerate([
            ("rejected", 1, ("REQUIRED",) * 5),  # one file with five blanks
            ("rejected", 2, ("INVALID_FORMAT", "REQUIRED")),
            ("rejected", 3, ("INVALID_FORMAT",)),
            ("rejected", 30, ("FILE_TYPE",)),  # outside the week
            ("duplicate", 1, ("LOGIN_TAKEN",)),  # not a rejection
        ]):
            values = submission(n, status, T0 - timedelta(days=age), *codes)
            Submissions(conn).add(**values)
        stored = conn.execute(sa.select(sa.func.count()).select_from(tables.submission_errors)).scalar_one()
        assert stored == 6  # each code once per submission

        ranked = frequent_error_codes(conn, T0 - timedelta(days=7), top=8)
        # Both in two files of the week: the one with more occurrences first.
        assert ranked == [ErrorCode("REQUIRED", 2, 6), ErrorCode("INVALID_FORMAT", 2, 2)]
        assert frequent_error_codes(conn, T0 - timedelta(days=7), top=1) == [ErrorCode("REQUIRED", 2, 6)]


def test_a_report_without_errors_writes_no_code() -> None:
    assert error_code_rows("S1", None) == []
    assert error_code_rows("S1", {"errors": "not a list"}) == []
    assert error_code_rows("S1", {"errors": [{"code": "X" * 100}, "junk"]}) == [
        {"submission_id": "S1", "code": "X" * 64, "occurrences": 1}]
