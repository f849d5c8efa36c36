"""Write an accepted plan to the store, inside the submission's transaction (through account_writes)."""

from __future__ import annotations

from typing import TypedDict

from provisioner.domain.plan_value import CompanyRequest, Plan
from provisioner.domain.vocabulary import CONFIRMATIONS, RequestKind, RequestStatus, RequestType
from provisioner.reports.report_model import CompanyChangeEntry, RequestEntry
from provisioner.service.agence.history import Origin
from provisioner.service.submission import notices
from provisioner.service.submission.account_writes import CompanySettings, apply_changes, write_settings
from provisioner.service.submission.held_plan import serialize_plan
from provisioner.service.submission.plan_hashes import ADMIN, Hashes
from provisioner.service.submission.values import Judgement
from provisioner.store.repositories import Repositories
from provisioner.wording import submission as submission_text


class Applied(TypedDict, total=False):
    """What applying a plan adds to the report."""

    company_changes: list[CompanyChangeEntry]
    requests: list[RequestEntry]


def apply_plan(uow: Repositories, judged: Judgement, hashes: Hashes) -> Applied:
    """Apply `judged.plan`; returns the report's `company_changes` and `requests`."""
    assert judged.submission.parsed is not None and judged.plan is not None
    if judged.submission.request_type == RequestType.ABONNEMENT:
        return _subscribe(uow, judged, hashes)
    return _update(uow, judged, hashes)


def _subscribe(uow: Repositories, judged: Judgement, hashes: Hashes) -> Applied:
    submission, plan = judged.submission, judged.plan
    parsed, now = submission.parsed, submission.received_at
    assert parsed is not None and plan is not None
    confirmations = parsed.adherent.value("confirmations")
    adherent_id = uow.adherents.create(
        numero=submission.numero, raison_sociale=parsed.adherent.value("raison_sociale"),
        company=parsed.company_details(), delegue=parsed.delegue_details(),
        notification_email=parsed.adherent.value("email_notification") or None,
        admin_password_hash=hashes.values[ADMIN],
        confirmations=int(confirmations) if confirmations in CONFIRMATIONS else 1, now=now)
    waiting = [(change, hashes.for_change(change)) for change in plan.effective]
    uow.pending_users.add(adherent_id, submission.id, waiting, now)
    uow.audit.add(actor=f"submission:{submission.id}", numero=submission.numero, action="subscribe",
                  target=submission.numero, after={"users_waiting": len(plan.effective)}, now=now)
    return {"company_changes": [{"kind": "subscription", "status": RequestStatus.WAITING,
                                 "summary": submission_text.SUBSCRIPTION_RECORDED}]}


def _update(uow: Repositories, judged: Judgement, hashes: Hashes) -> Applied:
    submission, plan, company = judged.submission, judged.plan, judged.company
    assert plan is not None and company is not None
    requests: list[RequestEntry] = []
    company_changes: list[CompanyChangeEntry] = []
    for request in plan.requests:
        payload = request.payload.copy()
        if request.kind == RequestKind.MASS_DISABLE:
            # The whole workbook waits; its hashes wait with it, in the store that keeps hashes anyway.
            payload["plan"] = serialize_plan(plan, hashes)
        request_id = uow.requests.add(adherent_id=company.id, submission_id=submission.id,
                                      kind=request.kind, payload=payload, now=submission.received_at)
        requests.append({"id": request_id, "kind": request.kind, "summary": request.summary})
        company_changes.append(request_line(request))
    if plan.held:
        notices.queue_request_waiting(uow, judged, requests)
        return {"company_changes": company_changes, "requests": requests}
    origin = Origin("submission", f"submission:{submission.id}", change_set=submission.id,
                    reference=submission.name)
    apply_changes(uow, company, plan.effective, hashes, origin=origin, now=submission.received_at,
                  submission_id=submission.id)
    settings: CompanySettings = {}
    if plan.confirmations is not None:
        settings["confirmations"] = plan.confirmations
    if plan.admin_password is not None:
        settings["admin_password_hash"] = hashes.values[ADMIN]
    write_settings(uow, company, settings, plan.settings_fields, origin, submission.received_at)
    company_changes += settings_changes(plan, applied=True)
    if requests:
        notices.queue_request_waiting(uow, judged, requests)
    return {"company_changes": company_changes, "requests": requests}


def request_line(request: CompanyRequest) -> CompanyChangeEntry:
    """The report line of a change that waits for the Agence Virtuelle (the same for a Contrôle seul)."""
    return {"kind": request.kind, "summary": request.summary, "status": RequestStatus.WAITING, "fields": request.fields}


def settings_changes(plan: Plan, *, applied: bool) -> list[CompanyChangeEntry]:
    """The report lines for the company settings a plan changes (or, for a Contrôle seul, would)."""
    lines: list[CompanyChangeEntry] = []
    if plan.confirmations is not None:
        lines.append({"kind": "confirmations", "status": "applied",
                      "summary": submission_text.confirmations_set(plan.confirmations),
                      "fields": plan.settings_fields.get("confirmations", [])})
    if plan.admin_password is not None:
        lines.append({"kind": "admin_password", "status": "applied",
                      "summary": submission_text.admin_password_changed(applied=applied),
                      "fields": plan.settings_fields.get("admin_password", [])})
    return lines
