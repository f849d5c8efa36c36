"""Submissions: the web's list and detail, the dashboard's latest ones, counts, unfinished ones, error codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, TypedDict, cast

from sqlalchemy import Connection, case, distinct, func, literal, select, tuple_, union_all

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.reports.report_model import Report, stored_report
from provisioner.service.agence.request_summary import PublicPayload, public_payload
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.errors import UnknownSubmission
from provisioner.service.read_models.mails import MailRow, mail_columns
from provisioner.service.read_models.paging import PAGE_SIZE, Page, count_of
from provisioner.service.read_models.timing import RECENT
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeColumn, SomeRow, SomeSelect
from provisioner.store.requests import payload_of
from provisioner.store.tables import (
    SUBMISSION_STATUSES,
    adherents,
    mail_queue,
    requests,
    submission_errors,
    submissions,
)


class SubmissionRow(TypedDict):
    """A submission as a list shows it."""

    id: str
    file_name: str
    received_at: datetime
    adherent_numero: str | None
    request_type: str | None
    status: str
    errors: int | None  # how many the report holds


class RecentSubmission(SubmissionRow):
    """A submission as the dashboard shows it: a list row, and what its report says beside."""

    batch_id: str | None
    counts: dict[str, int] | None  # the report's counts
    report_name: str | None  # the company's name as the workbook gave it
    warnings: int | None
    store_name: str | None  # the company's name in the store


class StatusCounts(TypedDict):
    last_24h: int
    total: int


class Unfinished(TypedDict):
    id: str
    file: str
    status: str
    received_at: datetime
    adherent: str | None


class ErrorCode(NamedTuple):
    code: str
    files: int  # rejected submissions that have it
    occurrences: int


def submission_columns() -> SomeSelect:
    """What a list of submissions shows: no report, only how many errors it holds."""
    report = submissions.c.report
    return select(submissions.c.id, submissions.c.file_name, submissions.c.received_at,
                  submissions.c.adherent_numero, submissions.c.request_type, submissions.c.status,
                  func.json_array_length(report["errors"]).label("errors"))


def submission_row(row: SomeRow) -> SubmissionRow:
    """A row of `submission_columns`."""
    return {"id": row.id, "file_name": row.file_name, "received_at": row.received_at,
            "adherent_numero": row.adherent_numero, "request_type": row.request_type, "status": row.status,
            "errors": row.errors}


# How a list of submissions may be sorted: newest first (the default), oldest first, by company, by status.
SORTS: dict[str, tuple[SomeColumn, ...]] = {
    "recent": (submissions.c.received_at.desc(), submissions.c.id.desc()),
    "ancien": (submissions.c.received_at, submissions.c.id),
    "adherent": (submissions.c.adherent_numero, submissions.c.received_at.desc(), submissions.c.id.desc()),
    "statut": (submissions.c.status, submissions.c.received_at.desc(), submissions.c.id.desc()),
}


class Cursor(NamedTuple):
    """Where the next page of the newest-first list starts: after this submission (keyset)."""

    received_at: datetime
    id: str

    def text(self) -> str:
        return f"{self.received_at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor | None:
        at, _, submission_id = raw.partition("~")
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            return None
        ok = moment.tzinfo is not None and 0 < len(submission_id) <= 32 and submission_id.isascii()
        return cls(moment, submission_id) if ok else None


def list_submissions(ctx: ServiceContext, *, adherent: str = "", status: str = "", day: date | None = None,
                     batch: str = "", sort: str = "recent", page: int = 1,
                     after: Cursor | None = None) -> Page[SubmissionRow]:
    """Submissions of one company, one status and/or one day (UTC), sorted by `sort`, with their total.

    The page's ids come from the index alone (received_at, id), then only
    its 50 rows are read: page 799 costs what page 1 does. Newest first, a
    `Cursor` (the last row of the page before) starts the page there: the
    database seeks to it instead of counting rows off.
    """
    order = SORTS.get(sort, SORTS["recent"])
    ids = filter_submissions(select(submissions.c.id), adherent=adherent, status=status, day=day, batch=batch)
    number = max(1, page)
    with UnitOfWork(ctx, read_only=True) as uow:
        total = count_of(uow.conn, ids)
        if after is not None and order is SORTS["recent"]:
            ids = ids.where(tuple_(submissions.c.received_at, submissions.c.id) < tuple(after))
        else:
            ids = ids.offset((number - 1) * PAGE_SIZE)
        chosen = ids.order_by(*order).limit(PAGE_SIZE + 1).subquery()
        query = submission_columns().join(chosen, chosen.c.id == submissions.c.id).order_by(*order)
        rows = [submission_row(r) for r in uow.conn.execute(query)]
    found = Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, total=total)
    if found.has_next and order is SORTS["recent"]:
        last = found.rows[-1]
        found.extra["after"] = Cursor(last["received_at"], last["id"]).text()
    return found


def filter_submissions(query: SomeSelect, *, adherent: str = "", status: str = "",
                       day: date | None = None, batch: str = "") -> SomeSelect:
    """`query` cut to one company, one status, one day (UTC) and/or one zip batch: the list's filters, and
    its export's."""
    if batch:
        query = query.where(submissions.c.batch_id == batch)
    if adherent:
        query = query.where(submissions.c.adherent_numero == adherent)
    if status:
        query = query.where(submissions.c.status == status)
    if day is not None:
        start = datetime.combine(day, time(), tzinfo=UTC)
        query = query.where(submissions.c.received_at >= start,
                            submissions.c.received_at < start + timedelta(days=1))
    return query


class HeldRequest(TypedDict):
    id: int
    kind: str  # RequestKind
    status: str  # RequestStatus
    payload: PublicPayload  # never a hash


class SubmissionDetail(TypedDict):
    id: str
    file_name: str
    received_at: datetime
    finished_at: datetime | None
    adherent_numero: str | None
    request_type: str | None
    status: str  # SubmissionStatus
    batch_id: str | None
    report: Report | dict[str, object]  # empty while the submission is still in hand
    mails: list[MailRow]
    requests: list[HeldRequest]


def submission_detail(ctx: ServiceContext, submission_id: str) -> SubmissionDetail:
    """A submission with its report (schema 1, never a secret) and its emails (never their bodies)."""
    with UnitOfWork(ctx, read_only=True) as uow:
        row = uow.conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        if row is None:
            raise UnknownSubmission(id=submission_id)
        mails = uow.conn.execute(mail_columns().where(mail_queue.c.submission_id == submission_id)
                             .order_by(mail_queue.c.id)).all()
        held = uow.conn.execute(select(requests.c.id, requests.c.kind, requests.c.status, requests.c.payload)
                            .where(requests.c.submission_id == submission_id)).all()
    return {"id": row.id, "file_name": row.file_name, "received_at": row.received_at,
            "finished_at": row.finished_at, "adherent_numero": row.adherent_numero,
            "request_type": row.request_type, "status": row.status, "batch_id": row.batch_id,
            "report": stored_report(row.report) if row.report else {},
            "mails": [cast(MailRow, dict(m._mapping)) for m in mails],
            "requests": [{"id": r.id, "kind": r.kind, "status": r.status,
                          "payload": public_payload(payload_of(r.payload))} for r in held]}


def recent_submissions(conn: Connection, limit: int) -> list[RecentSubmission]:
    """The last submissions, newest first, with the company's name when the store knows it.

    Only the parts of each report the page shows are read, in SQL (the same
    JSON operators on SQLite and PostgreSQL): a rejected 5,000-row workbook
    has a report of megabytes, mostly findings the page only counts.
    """
    report = submissions.c.report
    query = (select(submissions.c.id, submissions.c.file_name, submissions.c.received_at,
                    submissions.c.adherent_numero, submissions.c.request_type, submissions.c.status,
                    submissions.c.batch_id, report["counts"].label("counts"),
                    report["raison_sociale"].as_string().label("report_name"),
                    func.json_array_length(report["errors"]).label("errors"),
                    func.json_array_length(report["warnings"]).label("warnings"),
                    adherents.c.raison_sociale.label("store_name"))
             .outerjoin(adherents, adherents.c.numero == submissions.c.adherent_numero)
             .order_by(submissions.c.received_at.desc(), submissions.c.id.desc()).limit(limit))
    return [cast(RecentSubmission, dict(row._mapping)) for row in conn.execute(query)]


def submission_counts(conn: Connection, now: datetime) -> dict[str, StatusCounts]:
    """By status: submissions received in the last 24 hours, and in all (reads every submission)."""
    recent = func.sum(case((submissions.c.received_at >= now - RECENT, 1), else_=0))
    query = select(submissions.c.status, func.count(), recent).group_by(submissions.c.status)
    return {state: {"last_24h": int(last or 0), "total": int(total)} for state, total, last in conn.execute(query)}


def received_since(conn: Connection, since: datetime) -> dict[str, int]:
    """By status: submissions received since `since` (statuses with none are left out).

    One count per status, each a range of the (status, received_at) index:
    asked with GROUP BY, SQLite walks that whole index instead (40,000
    entries for a day's few hundred).
    """
    query = union_all(*(select(literal(state).label("status"), func.count())
                        .where(submissions.c.status == state, submissions.c.received_at >= since)
                        for state in SUBMISSION_STATUSES))
    return {state: int(count) for state, count in conn.execute(query) if count}


def unfinished(conn: Connection) -> list[Unfinished]:
    """Submissions still processing, or whose outputs are owed (written by the service once it can: service.owed)."""
    query = (select(submissions.c.id, submissions.c.file_name, submissions.c.status,
                    submissions.c.received_at, submissions.c.adherent_numero)
             .where((submissions.c.status == SubmissionStatus.PROCESSING) | submissions.c.finished_at.is_(None))
             .order_by(submissions.c.received_at))
    return [{"id": r.id, "file": r.file_name, "status": r.status, "received_at": r.received_at,
             "adherent": r.adherent_numero} for r in conn.execute(query)]


def frequent_error_codes(conn: Connection, since: datetime, top: int) -> list[ErrorCode]:
    """The `top` error codes of the submissions rejected since `since`, most files first.

    Ranked by files rather than occurrences: one workbook with 500 blank
    cells says less about the template than 20 workbooks with one each.
    Counted from `submission_errors` (written with each submission): no
    report is read.
    """
    files = func.count(distinct(submission_errors.c.submission_id))
    occurrences = func.sum(submission_errors.c.occurrences)
    query = (select(submission_errors.c.code, files, occurrences)
             .join(submissions, submissions.c.id == submission_errors.c.submission_id)
             .where(submissions.c.status == SubmissionStatus.REJECTED, submissions.c.received_at >= since)
             .group_by(submission_errors.c.code))
    # A few dozen codes at most: ranked here, so ties fall the same way whatever the database's collation.
    found = [ErrorCode(str(code), int(n), int(total or 0)) for code, n, total in conn.execute(query)]
    return sorted(found, key=lambda c: (-c.files, -c.occurrences, c.code))[:top]
