"""The Agence Virtuelle's use cases: validate subscriptions, unlock, decide requests, watch the service.

Each use case that changes something is one transaction: the change, its
audit row (actor `agence`) and the emails it sends (the transactional
outbox) commit together or not at all. Generated passwords are hashed
before that transaction opens: hashing is the slow part, and on SQLite the
write lock is shared with the pipeline.

What these functions return never holds a password or a hash: the CLI
prints what it gets. Mistakes an operator can make (an unknown number, a
request decided already) are small exceptions whose docstring is the message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Select, case, delete, exc, func, select

from provisioner.domain import diff
from provisioner.domain.plan import CREATE, UserChange, describe
from provisioner.domain.view import ACCOUNT_FIELDS, StoreView
from provisioner.mail.queue import enqueue
from provisioner.security import lockout
from provisioner.security.hashing import Hasher
from provisioner.security.passwords import generate_password
from provisioner.service.apply import write_change, write_settings
from provisioner.service.context import Context
from provisioner.service.history import Origin, record_setting
from provisioner.service.inbox import is_candidate_name
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store import repository as repo
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

T = TypeVar("T")

ACTOR = "agence"
SUBSCRIPTION_OVERDUE = timedelta(hours=48)  # the fund's promise once the signed form arrives
RECENT = timedelta(hours=24)
# Why a waiting user or a held change was not applied, as the delegate reads it.
SKIP_MESSAGES = {
    "login_taken": "ce login a été pris entre-temps par un autre compte ; choisissez-en un autre",
    "account_not_found": "ce compte n'existe plus pour votre entreprise sur ce téléservice",
}
# Where a rebuilt change says it came from: it has no workbook cell any more.
PENDING_SHEET = "pending_users"
HELD_SHEET = "held_plan"


# -- errors -------------------------------------------------------------------------

class AgenceError(Exception):
    """La commande ne peut pas être exécutée."""

    def __init__(self, **details: object) -> None:
        self.details = details
        super().__init__(" ".join((self.__doc__ or "").split()).format(**details))


class UnknownAdherent(AgenceError):
    """Aucun adhérent n'a le numéro {numero}."""


class NotPending(AgenceError):
    """L'abonnement de l'adhérent {numero} est déjà validé : il n'y a rien à valider."""


class NoDelegateEmail(AgenceError):
    """L'adhérent {numero} n'a pas d'adresse email de personne déléguée enregistrée : le nouveau mot
    de passe ne peut être envoyé à personne. Rien n'a été changé."""


class UnknownRequest(AgenceError):
    """Aucune demande n'a le numéro {id}."""


class AlreadyDecided(AgenceError):
    """La demande {id} a déjà été traitée (statut : {status}). Rien n'a été changé."""


class UnknownTeleservice(AgenceError):
    """Téléservice inconnu : {key}."""


class UnknownStatus(AgenceError):
    """Statut inconnu : {value}."""


# -- results --------------------------------------------------------------------------

@dataclass
class Activation:
    numero: str
    raison_sociale: str | None
    created: list[dict[str, Any]] = field(default_factory=list)  # login, teleservice, generated_password
    skipped: list[dict[str, Any]] = field(default_factory=list)  # login, teleservice, reason


@dataclass
class Unlock:
    numero: str
    was_locked: bool
    failed_auth: int  # the count before the unlock


@dataclass
class PasswordReset:
    numero: str
    sent_to: str  # the delegate on record; the password itself is never returned


@dataclass
class Decision:
    id: int
    kind: str
    numero: str
    status: str  # approved | rejected
    applied: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)


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


def activate(ctx: Context, numero: str, *, actor: str = ACTOR, reason: str | None = None) -> Activation:
    """Validate a subscription: the company becomes active and its waiting users become accounts.

    Each waiting user is checked again against the store of today: a login
    taken since the Abonnement is not created, and is reported. `actor` and
    `reason` go to the audit (the web passes the signed-in operator).
    """
    passwords = FreshPasswords(ctx.hasher, _waiting_without_password(ctx, numero))
    return _retrying_once(lambda: _activate(ctx, numero, passwords, actor, reason))


def _activate(ctx: Context, numero: str, passwords: FreshPasswords, actor: str = ACTOR,
              reason: str | None = None) -> Activation:
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        conn = uow.conn
        company = _company(conn, numero)
        if company.status != "pending":
            raise NotPending(numero=numero)
        result = Activation(numero, company.raison_sociale)
        _create_waiting_users(conn, company, passwords, now, result, actor)
        conn.execute(delete(pending_users).where(pending_users.c.adherent_id == company.id))
        repo.set_adherent(conn, company.id, status="active", activated_at=now, updated_at=now)
        repo.add_audit(conn, actor=actor, numero=numero, action="activate", target=numero,
                       before={"status": "pending"},
                       after={"status": "active", "created": result.created, "skipped": result.skipped,
                              "reason": reason},
                       now=now)
        _queue_validated(conn, company, result, now)
        uow.commit()
    return result


def _waiting_without_password(ctx: Context, numero: str) -> int:
    """How many waiting users will need a generated password (read before the write transaction)."""
    with UnitOfWork(ctx, read_only=True) as uow:
        return int(uow.conn.execute(
            select(func.count()).select_from(pending_users.join(adherents))
            .where(adherents.c.numero == numero, pending_users.c.password_hash.is_(None))).scalar_one())


def _create_waiting_users(conn: Connection, company: Row[Any], passwords: FreshPasswords, now: datetime,
                          result: Activation, actor: str = ACTOR) -> None:
    rows = conn.execute(select(pending_users).where(pending_users.c.adherent_id == company.id)
                        .order_by(pending_users.c.id)).all()
    taken = _taken_keys(conn, [row.login_key for row in rows])
    for row in rows:
        where = {"login": row.login, "teleservice": row.teleservice}
        if row.login_key in taken:
            result.skipped.append({**where, "reason": "login_taken"})
            continue
        taken.add(row.login_key)
        change = _waiting_change(row)
        secrets = {"password_hash": row.password_hash, "answer1_hash": row.answer1_hash,
                   "answer2_hash": row.answer2_hash, "answer3_hash": row.answer3_hash}
        password = None
        if row.password_hash is None:
            password, secrets["password_hash"] = passwords.take()
        describe(change, _secret_keys(secrets))
        write_change(conn, company, change, secrets, Origin("subscription", actor, reference=row.submission_id),
                     now, password=password, submission_id=row.submission_id)
        result.created.append({**where, "generated_password": password is not None})


def _taken_keys(conn: Connection, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(conn.execute(select(accounts.c.login_key).where(accounts.c.login_key.in_(keys))).scalars())


def _waiting_change(row: Row[Any]) -> UserChange:
    """The creation a waiting user stands for; its record holds no secret."""
    record = dict(row.record or {})
    questions = record.get("questions") or []
    return UserChange(
        CREATE, row.teleservice, row.login, PENDING_SHEET, row.id,
        values={k: str(record[k]) for k in ACCOUNT_FIELDS if record.get(k)},
        ordonnateur=bool(record.get("ordonnateur")), validateur=bool(record.get("validateur")),
        questions=tuple(questions) if len(questions) == 3 else None,
        categories=frozenset(record.get("categories") or ()))


def _queue_validated(conn: Connection, company: Row[Any], result: Activation, now: datetime) -> None:
    """Tell the delegate on record: accounts created, and those that could not be; never a password."""
    email = _delegate_email(company)
    if email:
        not_created = [{"login": u["login"], "teleservice": u["teleservice"], "message": SKIP_MESSAGES[u["reason"]]}
                       for u in result.skipped]
        enqueue(conn, kind="subscription_validated", recipients=[email],
                context={"adherent": _adherent_ref(company), "activated_at": now,
                         "created": [{"login": u["login"], "teleservice": u["teleservice"]} for u in result.created],
                         "not_created": not_created},
                now=now)


def unlock(ctx: Context, numero: str, *, actor: str = ACTOR, reason: str | None = None) -> Unlock:
    """Lift a company's lock and forget its failed authentications."""
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        company = _company(uow.conn, numero)
        state = lockout.after_success()
        repo.set_adherent(uow.conn, company.id, failed_auth=state.failed_auth, locked_until=state.locked_until,
                          updated_at=now)
        repo.add_audit(uow.conn, actor=actor, numero=numero, action="unlock", target=numero,
                       before={"failed_auth": company.failed_auth, "locked_until": _iso(company.locked_until)},
                       after={"failed_auth": 0, "locked_until": None, "reason": reason}, now=now)
        uow.commit()
    return Unlock(numero, lockout.is_locked(company.locked_until, now), company.failed_auth)


def reset_admin_password(ctx: Context, numero: str, *, actor: str = ACTOR,
                         reason: str | None = None) -> PasswordReset:
    """A new administrator password, emailed to the delegate on record only (after the signed letter).

    The lock is lifted too: a delegate who forgot the password has often
    locked the company trying.
    """
    password = generate_password()
    digest = ctx.hasher.hash_many([password])[0]  # before the transaction: hashing is slow
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        conn = uow.conn
        company = _company(conn, numero)
        email = _delegate_email(company)
        if not email:
            raise NoDelegateEmail(numero=numero)
        repo.set_adherent(conn, company.id, admin_password_hash=digest, failed_auth=0, locked_until=None,
                          updated_at=now)
        repo.add_audit(conn, actor=actor, numero=numero, action="admin_password_reset", target=numero,
                       after={"sent_to": email, "reason": reason}, now=now)
        record_setting(conn, adherent_id=company.id, action="admin_password",
                       fields=[diff.secret_field(layout.FORM_FIELD[(layout.DELEGUE_SHEET, "password")].label)],
                       before={},
                       origin=Origin("operator", actor, reason=reason or "réinitialisation sur lettre signée"),
                       now=now, previous_password_hash=company.admin_password_hash)
        enqueue(conn, kind="admin_password_reset", recipients=[email],
                context={"adherent": _adherent_ref(company), "password": password,
                         "delegue": _delegate_name(company)}, now=now)
        uow.commit()
    return PasswordReset(numero, email)


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
                             "login": c.get("login")} for c in _held_changes(payload)]
    return shown


def approve_request(ctx: Context, request_id: int, *, actor: str = ACTOR, reason: str | None = None) -> Decision:
    """Apply a waiting request (after the signed letter) and tell the delegate."""
    passwords = FreshPasswords(ctx.hasher, _generated_in(ctx, request_id))
    return _retrying_once(lambda: _decide(ctx, request_id, "approved", passwords, reason, actor))


def reject_request(ctx: Context, request_id: int, *, reason: str | None = None, actor: str = ACTOR) -> Decision:
    """Refuse a waiting request: nothing of it is applied; the delegate is told (with `reason`, if given)."""
    return _decide(ctx, request_id, "rejected", None, reason, actor)


def _decide(ctx: Context, request_id: int, status: str, passwords: FreshPasswords | None,
            reason: str | None = None, actor: str = ACTOR) -> Decision:
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        conn = uow.conn
        request, company = _waiting_request(conn, request_id)
        decision = Decision(request.id, request.kind, company.numero, status)
        recipients = [_delegate_email(company)]
        if passwords is not None:
            recipients += _apply_request(conn, request, company, passwords, now, decision, actor)
        conn.execute(requests.update().where(requests.c.id == request.id)
                     .values(status=status, decided_at=now, decided_by=actor))
        repo.add_audit(conn, actor=actor, numero=company.numero, action=f"request_{status}",
                       target=f"request:{request.id}", before={"kind": request.kind, "status": "waiting"},
                       after={"status": status, "applied": decision.applied, "skipped": decision.skipped,
                              "reason": reason},
                       now=now)
        decision.notified = _unique([r for r in recipients if r])
        _queue_decided(conn, request, company, decision, reason, now)
        uow.commit()
    return decision


def _waiting_request(conn: Connection, request_id: int) -> tuple[Row[Any], Row[Any]]:
    query = select(requests).where(requests.c.id == request_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # two operators deciding at once: the second sees it decided
    request = conn.execute(query).first()
    if request is None:
        raise UnknownRequest(id=request_id)
    if request.status != "waiting":
        raise AlreadyDecided(id=request_id, status=request.status)
    company = conn.execute(select(adherents).where(adherents.c.id == request.adherent_id)).one()
    return request, company


def _apply_request(conn: Connection, request: Row[Any], company: Row[Any], passwords: FreshPasswords,
                   now: datetime, decision: Decision, actor: str = ACTOR) -> list[str]:
    """Apply the request; returns the extra addresses to tell (a new delegate email)."""
    payload = dict(request.payload or {})
    if request.kind == "mass_disable":
        origin = Origin("request", actor, change_set=request.submission_id, reference=f"demande {request.id}")
        _apply_held_plan(conn, company, payload, passwords, origin, now, decision)
        return []
    changes = {k: str(v) for k, v in dict(payload.get("changes") or {}).items()}
    column = "delegue" if request.kind == "delegue_change" else "company"
    values: dict[str, Any] = {column: {**dict(getattr(company, column) or {}), **changes}, "updated_at": now}
    if column == "company" and changes.get("raison_sociale"):
        values["raison_sociale"] = changes["raison_sociale"]
    repo.set_adherent(conn, company.id, **values)
    decision.applied = [{"field": f"{column}.{k}", "value": v} for k, v in changes.items()]
    return [changes["email"]] if column == "delegue" and changes.get("email") else []


def _apply_held_plan(conn: Connection, company: Row[Any], payload: dict[str, Any], passwords: FreshPasswords,
                     origin: Origin, now: datetime, decision: Decision) -> None:
    """Apply a held workbook's changes, each judged again against the store of today."""
    stored = _held_changes(payload)
    view = repo.load_view(conn, company, [str(c.get("login") or "") for c in stored])
    for data in stored:
        change = rebuild_change(data)
        reason = _why_not(change, view)
        if reason is not None:
            decision.skipped.append({**change.report(), "reason": reason})
            continue
        change.before = view.accounts.get(change.key) if change.action != CREATE else None
        secrets = {k: v for k, v in dict(data.get("hashes") or {}).items() if k.endswith("_hash")}
        password = None
        if data.get("generated"):
            # The password drawn then was never kept in clear: its user gets a new one.
            password, secrets["password_hash"] = passwords.take()
        describe(change, _secret_keys(secrets))
        write_change(conn, company, change, secrets, origin, now, password=password,
                     submission_id=origin.change_set)
        if change.action == CREATE:
            view.taken[change.key] = company.numero  # the same login twice in a plan: once only
        decision.applied.append(change.report())
    plan = payload.get("plan") or {}
    settings: dict[str, Any] = {}
    fields: dict[str, list[dict[str, Any]]] = {}
    if plan.get("confirmations") in (1, 2) and plan["confirmations"] != company.confirmations:
        settings["confirmations"] = plan["confirmations"]
        fields["confirmations"] = [diff.setting_field(
            layout.FORM_FIELD[(layout.ADHERENT_SHEET, "confirmations")].label, company.confirmations,
            plan["confirmations"])]
    if plan.get("admin_password_hash"):
        settings["admin_password_hash"] = plan["admin_password_hash"]
    if settings:
        write_settings(conn, company, settings, fields, origin, now)
        decision.applied.append({"action": "company_settings", "teleservice": "",
                                 "login": ", ".join(sorted(settings))})
    submission_id = origin.change_set
    if submission_id:
        # The held submission is settled: approved, it counts as accepted from now on.
        conn.execute(submissions.update().where(submissions.c.id == submission_id, submissions.c.status == "held")
                     .values(status="accepted"))


def _held_changes(payload: dict[str, Any]) -> list[dict[str, Any]]:
    plan = payload.get("plan") or {}
    return [dict(c) for c in plan.get("changes") or [] if isinstance(c, dict)]


def rebuild_change(data: dict[str, Any]) -> UserChange:
    """A held plan's stored change as a UserChange (`before` is looked up again by the caller)."""
    questions = data.get("questions")
    categories = data.get("categories")
    return UserChange(
        str(data["action"]), str(data["teleservice"]), str(data["login"]), HELD_SHEET, int(data.get("row") or 0),
        values={k: str(v) for k, v in dict(data.get("values") or {}).items() if k in ACCOUNT_FIELDS},
        ordonnateur=data.get("ordonnateur"), validateur=data.get("validateur"),
        questions=tuple(questions) if questions and len(questions) == 3 else None,
        categories=frozenset(categories) if categories is not None else None)


def _why_not(change: UserChange, view: StoreView) -> str | None:
    """Why a held change can no longer be applied, or None when it can."""
    if change.action == CREATE:
        taken = change.key in view.accounts or change.key in view.taken
        return "login_taken" if taken else None
    account = view.accounts.get(change.key)
    if account is None or account.teleservice != change.teleservice:
        return "account_not_found"
    return None


def _generated_in(ctx: Context, request_id: int) -> int:
    """How many changes of a held plan need a new generated password (read before the write transaction)."""
    with UnitOfWork(ctx, read_only=True) as uow:
        payload = uow.conn.execute(select(requests.c.payload).where(requests.c.id == request_id)).scalar()
    return sum(1 for c in _held_changes(dict(payload or {})) if c.get("generated"))


def _queue_decided(conn: Connection, request: Row[Any], company: Row[Any], decision: Decision,
                   reason: str | None, now: datetime) -> None:
    if decision.notified:
        enqueue(conn, kind="request_decided", recipients=decision.notified,
                context={"adherent": _adherent_ref(company), "decision": decision.status, "decided_at": now,
                         "request": {"id": request.id, "kind": request.kind,
                                     "summary": request_summary(request.kind, dict(request.payload or {}),
                                                                decision)},
                         "reason": reason},
                submission_id=request.submission_id, now=now)


def request_summary(kind: str, payload: dict[str, Any], decision: Decision | None = None) -> str:
    """One French sentence on what the request asks (and, once approved, what could not be done)."""
    if kind == "mass_disable":
        text = f"Désactivation de {payload.get('disable', '?')} comptes sur {payload.get('active', '?')} actifs."
        if decision is not None and decision.skipped:
            logins = ", ".join(s["login"] for s in decision.skipped)
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
            _company(conn, adherent, for_update=False)  # only to tell an unknown number from no account
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

class FreshPasswords:
    """Generated passwords, hashed ahead of the write transaction and handed out one by one.

    If the store moved between the count and the transaction and more are
    needed, the extra ones are hashed on the spot.
    """

    def __init__(self, hasher: Hasher, count: int) -> None:
        self._hasher = hasher
        plain = [generate_password() for _ in range(count)]
        self._ready = list(zip(plain, hasher.hash_many(plain))) if plain else []

    def take(self) -> tuple[str, str]:
        """(password, its hash)."""
        if self._ready:
            return self._ready.pop()
        password = generate_password()
        return password, self._hasher.hash_many([password])[0]


def _company(conn: Connection, numero: str, *, for_update: bool = True) -> Row[Any]:
    company = repo.find_adherent(conn, numero, for_update=for_update)
    if company is None:
        raise UnknownAdherent(numero=numero)
    return company


def _delegate_email(company: Row[Any]) -> str | None:
    return (company.delegue or {}).get("email") or None


def _delegate_name(company: Row[Any]) -> dict[str, str | None]:
    delegue = dict(company.delegue or {})
    return {k: delegue.get(k) or None for k in ("civilite", "nom", "prenom")}


def _adherent_ref(company: Row[Any]) -> dict[str, str | None]:
    return {"numero": company.numero, "raison_sociale": company.raison_sociale}


def _secret_keys(secrets: dict[str, str | None]) -> tuple[str, ...]:
    """The secret columns a rebuilt change sets: those it has a hash for."""
    return tuple(k.removesuffix("_hash") for k, v in secrets.items() if v is not None)


def _retrying_once(work: Callable[[], T]) -> T:
    """Run `work` again once when a concurrent writer took a login first (a unique constraint)."""
    try:
        return work()
    except exc.IntegrityError:
        return work()


def _unique(addresses: list[str]) -> list[str]:
    """Each address once (ignoring case), in order."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.casefold(), address)
    return list(seen.values())


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)
