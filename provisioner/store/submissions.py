"""Submissions, keyed by their file's SHA-256, with the error codes of their reports (what the dashboard ranks)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from provisioner.reports.report_model import Report, stored_report
from provisioner.store.base import Repository, SomeRow
from provisioner.store.tables import ERROR_CODE_LENGTH, submission_errors, submission_origins, submissions


@dataclass(frozen=True)
class StoredSubmission:
    id: str
    sha256: str
    file_name: str  # as received: show escaped
    received_at: datetime
    finished_at: datetime | None  # None: its outputs are owed
    adherent_numero: str | None
    request_type: str | None
    status: str  # SubmissionStatus
    report: Report | None  # None: a submission still in hand
    duration_ms: int | None
    batch_id: str | None

    def committed_report(self) -> Report:
        """Its report, which every committed submission has (it is stored in the commit that records it)."""
        if self.report is None:
            raise ValueError(f"submission {self.id} has no stored report yet")
        return self.report


class Submissions(Repository):
    def by_sha(self, sha256: str) -> StoredSubmission | None:
        row = self.conn.execute(select(submissions).where(submissions.c.sha256 == sha256)).first()
        return None if row is None else submission(row)

    def exists(self, submission_id: str) -> bool:
        return self.conn.execute(select(submissions.c.id).where(submissions.c.id == submission_id)).first() is not None

    def file_name(self, submission_id: str) -> str | None:
        return self.conn.execute(select(submissions.c.file_name).where(submissions.c.id == submission_id)).scalar()

    def add(self, **values: object) -> None:
        """The submission, and the error codes of its report."""
        self.conn.execute(insert(submissions).values(**values))
        rows = error_code_rows(str(values["id"]), values.get("report"))
        if rows:
            self.conn.execute(insert(submission_errors), rows)

    def add_origin(self, submission_id: str, door: str, reference: str, at: datetime) -> None:
        """Which door a submission (or a duplicate) came through: written in its own transaction."""
        self.conn.execute(insert(submission_origins).values(submission_id=submission_id, door=door,
                                                            reference=reference, recorded_at=at))

    def by_origin(self, door: str, reference: str) -> list[str]:
        """The submissions (duplicates included) that came through `door` under `reference`, oldest first."""
        rows = self.conn.execute(
            select(submission_origins.c.submission_id)
            .where(submission_origins.c.door == door, submission_origins.c.reference == reference)
            .order_by(submission_origins.c.recorded_at, submission_origins.c.submission_id))
        return [str(row.submission_id) for row in rows]

    def finish(self, submission_id: str, now: datetime) -> None:
        """Its outputs are all written."""
        self.conn.execute(update(submissions).where(submissions.c.id == submission_id).values(finished_at=now))

    def settle_held(self, submission_id: str) -> None:
        """A held submission approved counts as accepted from now on."""
        self.conn.execute(update(submissions).where(submissions.c.id == submission_id, submissions.c.status == "held")
                          .values(status="accepted"))

    def unfinished(self, limit: int) -> list[StoredSubmission]:
        """Committed submissions (a report stored) whose outputs are not all written, oldest first."""
        return [submission(row) for row in self.conn.execute(
            select(submissions)
            .where(submissions.c.finished_at.is_(None), submissions.c.report.is_not(None),
                   submissions.c.status != "processing")
            .order_by(submissions.c.received_at, submissions.c.id).limit(limit))]


def submission(row: SomeRow) -> StoredSubmission:
    """The record of a whole `submissions` row."""
    return StoredSubmission(row.id, row.sha256, row.file_name, row.received_at, row.finished_at, row.adherent_numero,
                            row.request_type, row.status, None if row.report is None else stored_report(row.report),
                            row.duration_ms, row.batch_id)


def error_code_rows(submission_id: str, report: object) -> list[dict[str, object]]:
    """The `submission_errors` rows of a report: each error code once, with how often it occurs."""
    found = report.get("errors") if isinstance(report, dict) else None
    if not isinstance(found, list):
        return []
    codes = Counter(str(e.get("code"))[:ERROR_CODE_LENGTH] for e in found if isinstance(e, dict))
    return [{"submission_id": submission_id, "code": code, "occurrences": count} for code, count in codes.items()]
