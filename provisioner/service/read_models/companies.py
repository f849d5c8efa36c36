"""Member companies: the CLI's whole list, the web's search and one company's page."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import Connection, func, or_, select

from provisioner.security import lockout
from provisioner.service.agence.operator_commands import UnknownAdherent
from provisioner.service.agence.request_summary import request_summary
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.accounts import AccountColumns, CompanyAccount, with_categories
from provisioner.service.read_models.audit import JournalEntry, journal_entry
from provisioner.service.read_models.errors import UnknownStatus
from provisioner.service.read_models.paging import PAGE_SIZE, Page, fetch_page, prefix
from provisioner.service.read_models.submissions import SubmissionRow, submission_columns, submission_row
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeColumn, SomeRow
from provisioner.store.requests import payload_of
from provisioner.store.tables import (
    ADHERENT_STATUSES,
    accounts,
    adherents,
    audit,
    pending_users,
    requests,
    submissions,
)


class AdherentSummary(TypedDict):
    numero: str
    raison_sociale: str | None
    status: str
    created_at: datetime
    activated_at: datetime | None
    delegue: str  # first name and name
    delegue_email: str | None
    accounts: int
    waiting_users: int
    failed_auth: int
    locked: bool
    locked_until: datetime | None  # only while locked


class AdherentFound(TypedDict):
    numero: str
    raison_sociale: str | None
    status: str
    created_at: datetime
    locked: bool


class CompanyRequest(TypedDict):
    id: int
    kind: str  # RequestKind
    status: str  # RequestStatus
    created_at: datetime
    decided_by: str | None
    summary: str  # what it asks, in one French sentence (service.request_summary)


class AdherentDetail(TypedDict):
    numero: str
    raison_sociale: str | None
    status: str
    company: dict[str, str]  # vocabulary.ADHERENT_DETAIL_KEYS
    delegue: dict[str, str]  # vocabulary.DELEGUE_DETAIL_KEYS
    notification_email: str | None
    confirmations: int
    created_at: datetime
    activated_at: datetime | None
    failed_auth: int
    locked: bool
    locked_until: datetime | None
    waiting_users: int
    accounts: Page[CompanyAccount]  # a page of them
    submissions: list[SubmissionRow]  # the latest
    requests: list[CompanyRequest]  # the latest
    audit: list[JournalEntry]  # the latest


def list_adherents(ctx: ServiceContext, status: str | None = None) -> list[AdherentSummary]:
    """Every company (or those of one status), with its delegate, its users and its lock."""
    if status is not None and status not in ADHERENT_STATUSES:
        raise UnknownStatus(value=status)
    now = ctx.clock()
    with UnitOfWork(ctx, read_only=True) as uow:
        query = select(adherents).order_by(adherents.c.numero)
        if status is not None:
            query = query.where(adherents.c.status == status)
        rows = uow.conn.execute(query).all()
        users = _count_by(uow.conn, accounts.c.adherent_id)
        waiting = _count_by(uow.conn, pending_users.c.adherent_id)
    return [_summary(row, users.get(row.id, 0), waiting.get(row.id, 0), now) for row in rows]


def _summary(row: SomeRow, users: int, waiting: int, now: datetime) -> AdherentSummary:
    delegue = dict(row.delegue or {})
    locked = lockout.is_locked(row.locked_until, now)
    return {
        "numero": row.numero, "raison_sociale": row.raison_sociale, "status": row.status,
        "created_at": row.created_at, "activated_at": row.activated_at,
        "delegue": " ".join(v for v in (delegue.get("prenom"), delegue.get("nom")) if v),
        "delegue_email": delegue.get("email") or None, "accounts": users, "waiting_users": waiting,
        "failed_auth": row.failed_auth, "locked": locked, "locked_until": row.locked_until if locked else None,
    }


def _count_by(conn: Connection, column: SomeColumn) -> dict[int, int]:
    return {key: count for key, count in conn.execute(select(column, func.count()).group_by(column))}


# How the list of companies may be sorted: by number (the default), name, status, newest first; each an index.
SORTS: dict[str, tuple[SomeColumn, ...]] = {
    "numero": (adherents.c.numero,),
    "nom": (func.lower(adherents.c.raison_sociale), adherents.c.numero),
    "statut": (adherents.c.status, adherents.c.numero),
    "recent": (adherents.c.created_at.desc(), adherents.c.numero.desc()),
}


def search_adherents(ctx: ServiceContext, *, q: str = "", status: str | None = None, sort: str = "numero",
                     page: int = 1) -> Page[AdherentFound]:
    """Companies by number or name prefix (all when `q` is blank), sorted by `sort`."""
    query = select(adherents.c.numero, adherents.c.raison_sociale, adherents.c.status, adherents.c.created_at,
                   adherents.c.locked_until).order_by(*SORTS.get(sort, SORTS["numero"]))
    text = q.strip()
    if text:
        exact = ctx.engine.dialect.name == "sqlite"
        query = query.where(or_(prefix(adherents.c.numero, text, exact=exact),
                                prefix(func.lower(adherents.c.raison_sociale), text.lower(), exact=exact)))
    if status:
        query = query.where(adherents.c.status == status)
    now = ctx.clock()
    with UnitOfWork(ctx, read_only=True) as uow:
        found = fetch_page(uow.conn, query, page, dict, counted=True)
    rows: list[AdherentFound] = [
        {"numero": r["numero"], "raison_sociale": r["raison_sociale"], "status": r["status"],
         "created_at": r["created_at"], "locked": lockout.is_locked(r["locked_until"], now)} for r in found.rows]
    return Page(rows, found.number, found.has_next, total=found.total)


def adherent_detail(ctx: ServiceContext, numero: str, *, accounts_page: int = 1) -> AdherentDetail:
    """One company: its details, delegate, a page of its accounts, its submissions, requests and audit."""
    now = ctx.clock()
    with UnitOfWork(ctx, read_only=True) as uow:
        company = uow.conn.execute(select(adherents).where(adherents.c.numero == numero)).first()
        if company is None:
            raise UnknownAdherent(numero=numero)
        account_query = (select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status,
                                accounts.c.nom, accounts.c.prenom, accounts.c.email, accounts.c.ordonnateur,
                                accounts.c.validateur)
                         .where(accounts.c.adherent_id == company.id)
                         .order_by(accounts.c.teleservice, accounts.c.login_key))
        account_rows = fetch_page(uow.conn, account_query, accounts_page, AccountColumns)
        company_accounts = Page(with_categories(uow.conn, account_rows.rows), account_rows.number,
                                account_rows.has_next, account_rows.extra, account_rows.total)
        waiting_users = uow.conn.execute(select(func.count()).where(pending_users.c.adherent_id == company.id)
                                     ).scalar_one()
        recent = uow.conn.execute(submission_columns().where(submissions.c.adherent_numero == numero)
                              .order_by(submissions.c.received_at.desc()).limit(PAGE_SIZE)).all()
        asked = uow.conn.execute(select(requests).where(requests.c.adherent_id == company.id)
                             .order_by(requests.c.id.desc()).limit(PAGE_SIZE)).all()
        history = uow.conn.execute(select(audit.c.at, audit.c.actor, audit.c.action, audit.c.target, audit.c.after)
                               .where(audit.c.adherent_numero == numero)
                               .order_by(audit.c.at.desc(), audit.c.id.desc()).limit(PAGE_SIZE)).all()
    return {
        "numero": company.numero, "raison_sociale": company.raison_sociale, "status": company.status,
        "company": dict(company.company or {}), "delegue": dict(company.delegue or {}),
        "notification_email": company.notification_email, "confirmations": company.confirmations,
        "created_at": company.created_at, "activated_at": company.activated_at,
        "failed_auth": company.failed_auth, "locked": lockout.is_locked(company.locked_until, now),
        "locked_until": company.locked_until, "waiting_users": int(waiting_users),
        "accounts": company_accounts,
        "submissions": [submission_row(r) for r in recent],
        "requests": [{"id": r.id, "kind": r.kind, "status": r.status, "created_at": r.created_at,
                      "decided_by": r.decided_by,
                      "summary": request_summary(r.kind, payload_of(r.payload))} for r in asked],
        "audit": [journal_entry(r) for r in history],
    }
