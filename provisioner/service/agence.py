"""What the Agence Virtuelle reads: companies, requests, accounts, the state of the service.

Its commands that change something have their own modules (subscriptions.py, companies.py,
decisions.py); what they share is operator_commands.py. What these functions return never holds a
password or a hash: the CLI prints what it gets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Select, case, func, select

from provisioner.security import lockout
from provisioner.service.context import Context
from provisioner.service.held_plan import held_changes
from provisioner.service.inbox import is_candidate_name
from provisioner.service.operator_commands import UnknownStatus, UnknownTeleservice, find_company
from provisioner.store.tables import (
    ADHERENT_STATUSES,
    REQUEST_STATUSES,
    account_categories,
    accounts,
    adherents,
    mail_queue,
    pending_users,
    requests,
    submissions,
)
from provisioner.workbook import layout

SUBSCRIPTION_OVERDUE = timedelta(hours=48)  # the fund's promise once the signed form arrives
RECENT = timedelta(hours=24)


# -- companies ---------------------------------------------------------------------------

def list_adherents(ctx: Context, status: str | None = None) -> list[dict[str, Any]]:
    """Every company (or those of one status), with its delegate, its users and its lock."""
    if status is not None and status not in ADHERENT_STATUSES:
        raise UnknownStatus(value=status)
    now = ctx.clock()
    with ctx.engine.begin() as conn:
        query = select(adherents).order_by(adherents.c.numero)
        if status is not None:
            query = query.where(adherents.c.status == status)
        rows = conn.execute(query).all()
        users = _count_by(conn, accounts.c.adherent_id)
        waiting = _count_by(conn, pending_users.c.adherent_id)
    return [_adherent_row(row, users.get(row.id, 0), waiting.get(row.id, 0), now) for row in rows]


def _adherent_row(row: Row[Any], users: int, waiting: int, now: datetime) -> dict[str, Any]:
    delegue = dict(row.delegue or {})
    return {
        "numero": row.numero, "raison_sociale": row.raison_sociale, "status": row.status,
        "created_at": row.created_at, "activated_at": row.activated_at,
        "delegue": " ".join(v for v in (delegue.get("prenom"), delegue.get("nom")) if v),
        "delegue_email": delegue.get("email") or None, "accounts": users, "waiting_users": waiting,
        "failed_auth": row.failed_auth, "locked": lockout.is_locked(row.locked_until, now),
        "locked_until": row.locked_until if lockout.is_locked(row.locked_until, now) else None,
    }


def _count_by(conn: Connection, column: Any) -> dict[int, int]:
    return {key: count for key, count in conn.execute(select(column, func.count()).group_by(column))}


# -- requests ----------------------------------------------------------------------------

def list_requests(ctx: Context, status: str | None = "waiting") -> list[dict[str, Any]]:
    """Requests of one status (waiting by default; None for all), oldest first, without hashes."""
    if status is not None and status not in REQUEST_STATUSES:
        raise UnknownStatus(value=status)
    with ctx.engine.begin() as conn:
        query = (select(requests, adherents.c.numero, adherents.c.raison_sociale)
                 .join(adherents, adherents.c.id == requests.c.adherent_id).order_by(requests.c.id))
        if status is not None:
            query = query.where(requests.c.status == status)
        return [_request_row(row) for row in conn.execute(query)]


def _request_row(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "numero": row.numero, "raison_sociale": row.raison_sociale, "kind": row.kind,
            "status": row.status, "submission_id": row.submission_id, "created_at": row.created_at,
            "decided_at": row.decided_at, "decided_by": row.decided_by,
            "payload": public_payload(dict(row.payload or {}))}


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A request's payload as it may be shown: a held plan (it carries hashes) becomes its list of changes."""
    shown = {k: v for k, v in payload.items() if k != "plan"}
    if "plan" in payload:
        shown["changes"] = [{"action": c.get("action"), "teleservice": c.get("teleservice"),
                             "login": c.get("login")} for c in held_changes(payload)]
    return shown


def request_summary(kind: str, payload: dict[str, Any], skipped: Sequence[Mapping[str, Any]] = ()) -> str:
    """One French sentence on what the request asks (and, once approved, what could not be done: `skipped`)."""
    if kind == "mass_disable":
        text = f"Désactivation de {payload.get('disable', '?')} comptes sur {payload.get('active', '?')} actifs."
        if skipped:
            logins = ", ".join(s["login"] for s in skipped)
            text += f" Non appliqué (compte introuvable ou login déjà pris) : {logins}."
        return text
    fields = layout.DELEGUE_FIELDS if kind == "delegue_change" else layout.ADHERENT_FIELDS
    labels = {f.key: f.label for f in fields}
    changed = ", ".join(labels.get(k) or k for k in dict(payload.get("changes") or {}))
    title = "Personne déléguée" if kind == "delegue_change" else "Coordonnées de l'entreprise"
    return f"{title} : modification de {changed}."


# -- accounts ----------------------------------------------------------------------------

def list_accounts(ctx: Context, adherent: str | None = None, teleservice: str | None = None) -> list[dict[str, Any]]:
    """Accounts, of one company and/or one téléservice: who, where, status, powers, categories; never a hash."""
    if teleservice is not None and teleservice not in layout.TELESERVICE_BY_KEY:
        raise UnknownTeleservice(key=teleservice)
    with ctx.engine.begin() as conn:
        if adherent is not None:
            find_company(conn, adherent, for_update=False)  # only to tell an unknown number from no account
        columns = (adherents.c.numero, accounts.c.id, accounts.c.login, accounts.c.teleservice,
                   accounts.c.status, accounts.c.nom, accounts.c.prenom, accounts.c.fonction, accounts.c.email,
                   accounts.c.ordonnateur, accounts.c.validateur)
        query = _account_filter(select(*columns), adherent, teleservice).order_by(
            adherents.c.numero, accounts.c.teleservice, accounts.c.login)
        rows = conn.execute(query).all()
        categories = _categories(conn, adherent, teleservice)
    return [_account_row(row, categories.get(row.id, [])) for row in rows]


def _account_filter(query: Select[Any], adherent: str | None, teleservice: str | None) -> Select[Any]:
    query = query.select_from(accounts.join(adherents, adherents.c.id == accounts.c.adherent_id))
    if adherent is not None:
        query = query.where(adherents.c.numero == adherent)
    if teleservice is not None:
        query = query.where(accounts.c.teleservice == teleservice)
    return query


def _categories(conn: Connection, adherent: str | None, teleservice: str | None) -> dict[int, list[str]]:
    query = _account_filter(select(account_categories.c.account_id, account_categories.c.category),
                            adherent, teleservice).join(
        account_categories, account_categories.c.account_id == accounts.c.id)
    found: dict[int, list[str]] = {}
    for account_id, category in conn.execute(query):
        found.setdefault(account_id, []).append(category)
    order = {c: i for i, c in enumerate(layout.CATEGORIES)}
    return {k: sorted(v, key=lambda c: order.get(c, len(order))) for k, v in found.items()}


def _account_row(row: Row[Any], categories: list[str]) -> dict[str, Any]:
    powers = [name for name, on in (("ordonnateur", row.ordonnateur), ("validateur", row.validateur)) if on]
    return {"adherent": row.numero, "login": row.login, "teleservice": row.teleservice, "status": row.status,
            "nom": row.nom, "prenom": row.prenom, "fonction": row.fonction, "email": row.email, "powers": powers,
            "categories": categories}


# -- the state of the service ------------------------------------------------------------

def status(ctx: Context, now: datetime) -> dict[str, Any]:
    """What an operator checks each morning: queue, failures, emails, subscriptions and requests waiting."""
    with ctx.engine.begin() as conn:
        return {
            "at": now,
            "submissions": _submission_counts(conn, now),
            "unfinished": _unfinished(conn),
            "inbox": inbox_state(ctx.settings.inbox),
            "emails": _mail_counts(conn),
            "subscriptions_waiting": _subscriptions_waiting(conn, now),
            "locked": _locked(conn, now),
            "requests_waiting": _requests_waiting(conn, now),
        }


def _submission_counts(conn: Connection, now: datetime) -> dict[str, dict[str, int]]:
    recent = func.sum(case((submissions.c.received_at >= now - RECENT, 1), else_=0))
    counts: dict[str, dict[str, int]] = {}
    query = select(submissions.c.status, func.count(), recent).group_by(submissions.c.status)
    for state, total, last in conn.execute(query):
        counts[state] = {"last_24h": int(last or 0), "total": int(total)}
    return counts


def _unfinished(conn: Connection) -> list[dict[str, Any]]:
    """Submissions still processing, or whose outputs are owed (written by the service once it can: service.owed)."""
    query = (select(submissions.c.id, submissions.c.file_name, submissions.c.status,
                    submissions.c.received_at, submissions.c.adherent_numero)
             .where((submissions.c.status == "processing") | submissions.c.finished_at.is_(None))
             .order_by(submissions.c.received_at))
    return [{"id": r.id, "file": r.file_name, "status": r.status, "received_at": r.received_at,
             "adherent": r.adherent_numero} for r in conn.execute(query)]


def inbox_state(inbox: Path) -> dict[str, Any]:
    """How many files wait in the inbox; lock files, hidden files and files being written do not count."""
    try:
        entries = list(os.scandir(inbox))
    except (FileNotFoundError, NotADirectoryError):
        return {"path": str(inbox), "exists": False, "files": 0}
    # The intake's own rule, so the count is what the service would take.
    files = sum(1 for e in entries if e.is_file(follow_symlinks=False) and is_candidate_name(e.name))
    return {"path": str(inbox), "exists": True, "files": files}


def _mail_counts(conn: Connection) -> dict[str, Any]:
    counts: dict[str, int] = dict(conn.execute(select(mail_queue.c.status, func.count())
                                               .group_by(mail_queue.c.status)).tuples().all())
    oldest = conn.execute(select(func.min(mail_queue.c.created_at))
                          .where(mail_queue.c.status == "pending")).scalar()
    return {"pending": int(counts.get("pending", 0)), "failed": int(counts.get("failed", 0)),
            "oldest_pending": oldest}


def _subscriptions_waiting(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    query = select(adherents.c.numero, adherents.c.raison_sociale, adherents.c.created_at).where(
        adherents.c.status == "pending").order_by(adherents.c.created_at)
    return [{"numero": r.numero, "raison_sociale": r.raison_sociale, "since": r.created_at,
             "age_hours": _hours(now - r.created_at), "overdue": now - r.created_at > SUBSCRIPTION_OVERDUE}
            for r in conn.execute(query)]


def _locked(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    # Filtered in a subquery: asked for "by numero", SQLite would walk all 20,000 companies in that
    # order rather than take the few locked ones from their index and sort them.
    locked = select(adherents.c.id).where(adherents.c.locked_until > now)
    query = select(adherents.c.numero, adherents.c.raison_sociale, adherents.c.failed_auth,
                   adherents.c.locked_until).where(adherents.c.id.in_(locked)).order_by(adherents.c.numero)
    return [{"numero": r.numero, "raison_sociale": r.raison_sociale, "failed_auth": r.failed_auth,
             "locked_until": r.locked_until} for r in conn.execute(query)]


def _requests_waiting(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    query = (select(requests.c.id, requests.c.kind, requests.c.created_at, adherents.c.numero)
             .join(adherents, adherents.c.id == requests.c.adherent_id)
             .where(requests.c.status == "waiting").order_by(requests.c.id))
    return [{"id": r.id, "numero": r.numero, "kind": r.kind, "since": r.created_at,
             "age_hours": _hours(now - r.created_at)} for r in conn.execute(query)]


# -- shared helpers -------------------------------------------------------------------------

def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)
