"""What the back office reads, one page at a time: companies, accounts, submissions, emails, the audit.

The CLI's lists (`service.agence.list_*`) return everything; the web shows at
most `PAGE_SIZE` rows and must answer in under 100 ms with 20,000 companies
and 200,000 accounts, so these reads are paged in SQL and search by prefix on
indexed columns (see migration 0004): no COUNT over a whole table, one row
more than a page tells whether a next page exists. Nothing returned holds a
hash or an email body (a body may carry a generated password).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    union,
)

from provisioner.security import lockout
from provisioner.service.agence import public_payload, request_summary
from provisioner.service.context import Context
from provisioner.service.operator_commands import AgenceError, UnknownAdherent
from provisioner.store.tables import (
    account_categories,
    accounts,
    adherents,
    audit,
    mail_queue,
    pending_users,
    requests,
    submissions,
)
from provisioner.workbook.text import login_key

PAGE_SIZE = 50
SEARCH_MIN = 2  # one letter would match a tenth of the store
_TOP = "\U0010ffff"  # sorts after every character: [q, q + _TOP) holds every text starting with q


class UnknownSubmission(AgenceError):
    """Aucune soumission n'a l'identifiant {id}."""


class UnknownAccount(AgenceError):
    """Aucun compte n'a le login « {login} »."""


@dataclass
class Page:
    rows: list[dict[str, Any]]
    number: int
    has_next: bool
    extra: dict[str, Any] = field(default_factory=dict)


def _page(conn: Connection, query: Select[Any], number: int) -> Page:
    number = max(1, number)
    rows = [dict(r._mapping) for r in conn.execute(query.limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE))]
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


def _prefix(column: Any, text: str, *, exact: bool = False) -> ColumnElement[bool]:
    """`column` starts with `text`: a range an index answers, and (unless the range is `exact`, as with
    SQLite's binary collation) a LIKE for collations where the range is loose."""
    in_range = and_(column >= text, column < text + _TOP)
    if exact:
        return in_range
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(in_range, column.like(escaped + "%", escape="\\"))


# -- companies ---------------------------------------------------------------------------

def search_adherents(ctx: Context, *, q: str = "", status: str | None = None, page: int = 1) -> Page:
    """Companies by number or name prefix (all when `q` is blank), by number."""
    query = select(adherents.c.numero, adherents.c.raison_sociale, adherents.c.status, adherents.c.created_at,
                   adherents.c.locked_until).order_by(adherents.c.numero)
    text = q.strip()
    if text:
        exact = ctx.engine.dialect.name == "sqlite"
        query = query.where(or_(_prefix(adherents.c.numero, text, exact=exact),
                                _prefix(func.lower(adherents.c.raison_sociale), text.lower(), exact=exact)))
    if status:
        query = query.where(adherents.c.status == status)
    now = ctx.clock()
    with ctx.engine.connect() as conn:
        found = _page(conn, query, page)
    for row in found.rows:
        row["locked"] = lockout.is_locked(row.pop("locked_until"), now)
    return found


def adherent_detail(ctx: Context, numero: str, *, accounts_page: int = 1) -> dict[str, Any]:
    """One company: its details, delegate, a page of its accounts, its submissions, requests and audit."""
    now = ctx.clock()
    with ctx.engine.connect() as conn:
        company = conn.execute(select(adherents).where(adherents.c.numero == numero)).first()
        if company is None:
            raise UnknownAdherent(numero=numero)
        account_query = (select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status,
                                accounts.c.nom, accounts.c.prenom, accounts.c.email, accounts.c.ordonnateur,
                                accounts.c.validateur)
                         .where(accounts.c.adherent_id == company.id)
                         .order_by(accounts.c.teleservice, accounts.c.login_key))
        account_rows = _page(conn, account_query, accounts_page)
        _add_categories(conn, account_rows.rows)
        waiting_users = conn.execute(select(func.count()).where(pending_users.c.adherent_id == company.id)
                                     ).scalar_one()
        recent = conn.execute(_submission_columns().where(submissions.c.adherent_numero == numero)
                              .order_by(submissions.c.received_at.desc()).limit(PAGE_SIZE)).all()
        asked = conn.execute(select(requests).where(requests.c.adherent_id == company.id)
                             .order_by(requests.c.id.desc()).limit(PAGE_SIZE)).all()
        history = conn.execute(select(audit.c.at, audit.c.actor, audit.c.action, audit.c.target, audit.c.after)
                               .where(audit.c.adherent_numero == numero)
                               .order_by(audit.c.at.desc(), audit.c.id.desc()).limit(PAGE_SIZE)).all()
    return {
        "numero": company.numero, "raison_sociale": company.raison_sociale, "status": company.status,
        "company": dict(company.company or {}), "delegue": dict(company.delegue or {}),
        "notification_email": company.notification_email, "confirmations": company.confirmations,
        "created_at": company.created_at, "activated_at": company.activated_at,
        "failed_auth": company.failed_auth, "locked": lockout.is_locked(company.locked_until, now),
        "locked_until": company.locked_until, "waiting_users": int(waiting_users),
        "accounts": account_rows,
        "submissions": [dict(r._mapping) for r in recent],
        "requests": [{"id": r.id, "kind": r.kind, "status": r.status, "created_at": r.created_at,
                      "decided_by": r.decided_by,
                      "summary": request_summary(r.kind, dict(r.payload or {}))} for r in asked],
        "audit": [_audit_row(r) for r in history],
    }


def _add_categories(conn: Connection, rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    found: dict[int, list[str]] = {}
    if ids:
        query = select(account_categories.c.account_id, account_categories.c.category).where(
            account_categories.c.account_id.in_(ids)).order_by(account_categories.c.category)
        for account_id, category in conn.execute(query):
            found.setdefault(account_id, []).append(category)
    for row in rows:
        row["categories"] = found.get(row["id"], [])
        row["powers"] = [p for p in ("ordonnateur", "validateur") if row.get(p)]


# -- accounts -----------------------------------------------------------------------------

def search_accounts(ctx: Context, q: str, *, page: int = 1) -> Page:
    """Accounts whose login, name, first name or email starts with `q` (ignoring case), across companies,
    by login."""
    text = q.strip()
    if len(text) < SEARCH_MIN:
        return Page([], 1, False, {"too_short": bool(text)})
    lower, number = text.lower(), max(1, page)
    exact = ctx.engine.dialect.name == "sqlite"  # binary collation: the range alone is the prefix
    # One indexed range per column, each carrying the sort key, then the union cut to the page:
    # only the page's rows are joined, not the thousands a common name matches.
    branches = [select(accounts.c.id, accounts.c.login_key).where(_prefix(column, value, exact=exact))
                for column, value in ((accounts.c.login_key, login_key(text)),
                                      (func.lower(accounts.c.nom), lower), (func.lower(accounts.c.prenom), lower),
                                      (func.lower(accounts.c.email), lower))]
    matching = (union(*branches).order_by(literal_column("login_key"))
                .limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE).subquery())
    query = (select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status, accounts.c.nom,
                    accounts.c.prenom, accounts.c.email, adherents.c.numero, adherents.c.raison_sociale)
             .join(matching, matching.c.id == accounts.c.id)
             .join(adherents, adherents.c.id == accounts.c.adherent_id)
             .order_by(accounts.c.login_key))
    with ctx.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


def account_detail(ctx: Context, login: str) -> dict[str, Any]:
    """One account by login (ignoring case): its public details, powers, categories and company; never a
    hash."""
    query = (select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status, accounts.c.nom,
                    accounts.c.prenom, accounts.c.email, accounts.c.telephone, accounts.c.fonction,
                    accounts.c.ordonnateur, accounts.c.validateur, accounts.c.created_at, adherents.c.numero,
                    adherents.c.raison_sociale)
             .join(adherents, adherents.c.id == accounts.c.adherent_id)
             .where(accounts.c.login_key == login_key(login)))
    with ctx.engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(query).fetchmany(1)]
        _add_categories(conn, found)
    if not found:
        raise UnknownAccount(login=login)
    return found[0]


# -- submissions --------------------------------------------------------------------------

def _submission_columns() -> Select[Any]:
    report = submissions.c.report
    return select(submissions.c.id, submissions.c.file_name, submissions.c.received_at,
                  submissions.c.adherent_numero, submissions.c.request_type, submissions.c.status,
                  func.json_array_length(report["errors"]).label("errors"))


def list_submissions(ctx: Context, *, adherent: str = "", status: str = "", day: date | None = None,
                     page: int = 1) -> Page:
    """Submissions, newest first, of one company, one status and/or one day (UTC)."""
    query = _submission_columns().order_by(submissions.c.received_at.desc(), submissions.c.id.desc())
    if adherent:
        query = query.where(submissions.c.adherent_numero == adherent)
    if status:
        query = query.where(submissions.c.status == status)
    if day is not None:
        start = datetime.combine(day, time(), tzinfo=UTC)
        query = query.where(submissions.c.received_at >= start,
                            submissions.c.received_at < start + timedelta(days=1))
    with ctx.engine.connect() as conn:
        return _page(conn, query, page)


def submission_detail(ctx: Context, submission_id: str) -> dict[str, Any]:
    """A submission with its report (schema 1, never a secret) and its emails (never their bodies)."""
    with ctx.engine.connect() as conn:
        row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
        if row is None:
            raise UnknownSubmission(id=submission_id)
        mails = conn.execute(_mail_columns().where(mail_queue.c.submission_id == submission_id)
                             .order_by(mail_queue.c.id)).all()
        held = conn.execute(select(requests.c.id, requests.c.kind, requests.c.status, requests.c.payload)
                            .where(requests.c.submission_id == submission_id)).all()
    return {"id": row.id, "file_name": row.file_name, "received_at": row.received_at,
            "finished_at": row.finished_at, "adherent_numero": row.adherent_numero,
            "request_type": row.request_type, "status": row.status, "batch_id": row.batch_id,
            "report": dict(row.report or {}), "mails": [dict(m._mapping) for m in mails],
            "requests": [{"id": r.id, "kind": r.kind, "status": r.status,
                          "payload": public_payload(dict(r.payload or {}))} for r in held]}


# -- emails and audit ------------------------------------------------------------------------

def _mail_columns() -> Select[Any]:
    return select(mail_queue.c.id, mail_queue.c.kind, mail_queue.c.recipients, mail_queue.c.subject,
                  mail_queue.c.status, mail_queue.c.attempts, mail_queue.c.next_attempt_at,
                  mail_queue.c.last_error, mail_queue.c.created_at, mail_queue.c.sent_at,
                  mail_queue.c.submission_id)


def list_mails(ctx: Context, *, status: str = "", page: int = 1) -> Page:
    """Emails failed or waiting (or of one of those statuses), failures first, oldest first."""
    wanted = (status,) if status in ("pending", "failed") else ("failed", "pending")
    query = (_mail_columns().where(mail_queue.c.status.in_(wanted))
             .order_by(mail_queue.c.status, mail_queue.c.id))
    with ctx.engine.connect() as conn:
        return _page(conn, query, page)


def journal(ctx: Context, *, actor: str = "", page: int = 1) -> Page:
    """The audit, newest first: who did what, to what, and why."""
    query = select(audit.c.id, audit.c.at, audit.c.actor, audit.c.adherent_numero, audit.c.action,
                   audit.c.target, audit.c.after).order_by(audit.c.id.desc())
    if actor:
        query = query.where(audit.c.actor == actor)
    with ctx.engine.connect() as conn:
        found = _page(conn, query, page)
    found.rows = [_audit_row(r) for r in found.rows]
    return found


def _audit_row(row: Any) -> dict[str, Any]:
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    after = data.pop("after", None) or {}
    data["reason"] = after.get("reason") if isinstance(after, dict) else None
    return data
