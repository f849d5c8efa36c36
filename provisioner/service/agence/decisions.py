"""Decide a change that waits for a signed letter (`requests approve ID` / `reject ID`, the web's buttons):
a new delegate, new company details, a held workbook (mass deactivation).

One unit of work: what is applied, the decision, its audit row and the email to the delegate commit
together or not at all. Two operators deciding at once: the second finds it decided. Two decisions
on one company (or a decision and a workbook of that company) are serialised by the company's row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from provisioner.domain.vocabulary import RequestKind, RequestStatus
from provisioner.mail.queue import enqueue
from provisioner.service.agence.history import Origin
from provisioner.service.agence.operator_commands import ACTOR, AlreadyDecided, UnknownRequest
from provisioner.service.agence.request_summary import request_summary
from provisioner.service.context import ServiceContext
from provisioner.service.submission.held_plan import apply_held_plan, generated_count
from provisioner.service.submission.notices import adherent_ref, delegate_email
from provisioner.service.submission.plan_hashes import FreshPasswords
from provisioner.service.unit_of_work import UnitOfWork, retrying_once
from provisioner.store.adherents import Adherent
from provisioner.store.repositories import Repositories
from provisioner.store.requests import Request


@dataclass
class Decision:
    id: int
    kind: str
    numero: str
    status: str  # approved | rejected
    # Each account change (action, teleservice, login) or detail (field, value) applied; each held change
    # skipped, with its reason.
    applied: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)


def approve_request(ctx: ServiceContext, request_id: int, *, actor: str = ACTOR, reason: str | None = None) -> Decision:
    """Apply a waiting request (after the signed letter) and tell the delegate."""
    passwords = FreshPasswords(ctx.hasher, _generated_in(ctx, request_id))
    return retrying_once(lambda: _decide(ctx, request_id, RequestStatus.APPROVED, passwords, reason, actor))


def reject_request(ctx: ServiceContext, request_id: int, *, reason: str | None = None, actor: str = ACTOR) -> Decision:
    """Refuse a waiting request: nothing of it is applied; the delegate is told (with `reason`, if given)."""
    return _decide(ctx, request_id, RequestStatus.REJECTED, None, reason, actor)


def _decide(ctx: ServiceContext, request_id: int, status: str, passwords: FreshPasswords | None, reason: str | None,
            actor: str) -> Decision:
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        request, company = _waiting_request(uow, request_id)
        decision = Decision(request.id, request.kind, company.numero, status)
        recipients = [delegate_email(company)]
        if passwords is not None:
            recipients += _apply_request(uow, request, company, passwords, now, decision, actor)
        uow.requests.decide(request.id, status=status, now=now, actor=actor)
        uow.audit.add(actor=actor, numero=company.numero, action=f"request_{status}",
                      target=f"request:{request.id}", before={"kind": request.kind, "status": RequestStatus.WAITING},
                      after={"status": status, "applied": decision.applied, "skipped": decision.skipped,
                             "reason": reason},
                      now=now)
        decision.notified = _unique([r for r in recipients if r])
        _queue_decided(uow, request, company, decision, reason, now)
        uow.commit()
    return decision


def _generated_in(ctx: ServiceContext, request_id: int) -> int:
    """How many changes of a held plan need a new generated password (read before the write transaction)."""
    with UnitOfWork(ctx, read_only=True) as uow:
        payload = uow.requests.payload(request_id)
    return generated_count(payload)


def _waiting_request(uow: Repositories, request_id: int) -> tuple[Request, Adherent]:
    # Locked: two operators deciding at once, the second sees it decided.
    request = uow.requests.get(request_id, for_update=True)
    if request is None:
        raise UnknownRequest(id=request_id)
    if request.status != RequestStatus.WAITING:
        raise AlreadyDecided(id=request_id, status=request.status)
    # What the decision merges into (delegue, company, accounts): locked, so that another decision or a
    # workbook of the same company (pipeline._apply locks it too) applies before or after, never from the
    # same stale read.
    company = uow.adherents.by_id(request.adherent_id, for_update=True)
    return request, company


def _apply_request(uow: Repositories, request: Request, company: Adherent, passwords: FreshPasswords,
                   now: datetime, decision: Decision, actor: str) -> list[str]:
    """Apply the request; returns the extra addresses to tell (a new delegate email)."""
    payload = request.payload
    if request.kind == RequestKind.MASS_DISABLE:
        origin = Origin("request", actor, change_set=request.submission_id, reference=f"demande {request.id}")
        held = apply_held_plan(uow, company, payload, passwords, origin, now)
        decision.applied, decision.skipped = held.applied, held.skipped
        return []
    changes = {k: str(v) for k, v in (payload.get("changes") or {}).items()}
    column = "delegue" if request.kind == RequestKind.DELEGUE_CHANGE else "company"
    values: dict[str, object] = {column: {**dict(getattr(company, column) or {}), **changes}, "updated_at": now}
    if column == "company" and changes.get("raison_sociale"):
        values["raison_sociale"] = changes["raison_sociale"]
    uow.adherents.set(company.id, **values)
    decision.applied = [{"field": f"{column}.{k}", "value": v} for k, v in changes.items()]
    return [changes["email"]] if column == "delegue" and changes.get("email") else []


def _queue_decided(uow: Repositories, request: Request, company: Adherent, decision: Decision,
                   reason: str | None, now: datetime) -> None:
    if decision.notified:
        summary = request_summary(request.kind, request.payload, decision.skipped)
        enqueue(uow.mails, kind="request_decided", recipients=decision.notified,
                context={"adherent": adherent_ref(company), "decision": decision.status, "decided_at": now,
                         "request": {"id": request.id, "kind": request.kind, "summary": summary},
                         "reason": reason},
                submission_id=request.submission_id, now=now)


def _unique(addresses: list[str]) -> list[str]:
    """Each address once (ignoring case), in order."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.casefold(), address)
    return list(seen.values())
