"""Write an accepted plan to the store, inside the submission's transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from provisioner.domain import diff
from provisioner.domain.plan import CREATE, DISABLE, ENABLE, RESET, CompanyRequest, Plan, UserChange
from provisioner.domain.view import AccountState
from provisioner.service import history, notices
from provisioner.service.history import Origin
from provisioner.service.secrets_plan import ADMIN, Hashes
from provisioner.store import repository as repo
from provisioner.workbook import layout
from provisioner.workbook.model import ParsedWorkbook

if TYPE_CHECKING:
    from provisioner.service.pipeline import _Run

ADMIN_PASSWORD_FIELD = diff.secret_field(layout.FORM_FIELD[(layout.DELEGUE_SHEET, "new_password")].label)


def apply_plan(conn: Connection, run: _Run, hashes: Hashes) -> dict[str, Any]:
    """Apply `run.plan`; returns the report's `company_changes` and `requests`."""
    assert run.parsed is not None and run.plan is not None
    if run.request_type == layout.ABONNEMENT:
        return _subscribe(conn, run, hashes)
    return _update(conn, run, hashes)


def _subscribe(conn: Connection, run: _Run, hashes: Hashes) -> dict[str, Any]:
    parsed, plan = run.parsed, run.plan
    assert parsed is not None and plan is not None
    confirmations = parsed.adherent.value("confirmations")
    adherent_id = repo.create_adherent(
        conn, numero=run.numero, raison_sociale=parsed.adherent.value("raison_sociale"),
        company=company_details(parsed), delegue=delegue_details(parsed),
        notification_email=parsed.adherent.value("email_notification") or None,
        admin_password_hash=hashes.values[ADMIN],
        confirmations=int(confirmations) if confirmations in layout.CONFIRMATIONS else 1, now=run.now)
    waiting = [(change, hashes.for_change(change)) for change in plan.effective]
    repo.add_pending_users(conn, adherent_id, run.id, waiting, run.now)
    repo.add_audit(conn, actor=f"submission:{run.id}", numero=run.numero, action="subscribe",
                   target=run.numero, after={"users_waiting": len(plan.effective)}, now=run.now)
    return {"company_changes": [{"kind": "subscription", "status": "waiting",
                                 "summary": "Abonnement enregistré : il attend la validation de l'Agence "
                                            "Virtuelle après réception du formulaire signé et cacheté."}]}


def _update(conn: Connection, run: _Run, hashes: Hashes) -> dict[str, Any]:
    plan, company = run.plan, run.company
    assert plan is not None and company is not None
    requests: list[dict[str, Any]] = []
    company_changes: list[dict[str, Any]] = []
    for request in plan.requests:
        payload = dict(request.payload)
        if request.kind == "mass_disable":
            # The whole workbook waits; its hashes wait with it, in the store that keeps hashes anyway.
            payload["plan"] = serialize_plan(plan, hashes)
        request_id = repo.add_request(conn, adherent_id=company.id, submission_id=run.id, kind=request.kind,
                                      payload=payload, now=run.now)
        requests.append({"id": request_id, "kind": request.kind, "summary": request.summary})
        company_changes.append(request_line(request))
    if plan.held:
        notices.queue_request_waiting(conn, run, requests)
        return {"company_changes": company_changes, "requests": requests}
    origin = Origin("submission", f"submission:{run.id}", change_set=run.id, reference=run.name)
    apply_changes(conn, company, plan.effective, hashes, origin=origin, now=run.now, submission_id=run.id)
    settings: dict[str, Any] = {}
    if plan.confirmations is not None:
        settings["confirmations"] = plan.confirmations
    if plan.admin_password is not None:
        settings["admin_password_hash"] = hashes.values[ADMIN]
    write_settings(conn, company, settings, plan.settings_fields, origin, run.now)
    company_changes += settings_changes(plan, applied=True)
    if requests:
        notices.queue_request_waiting(conn, run, requests)
    return {"company_changes": company_changes, "requests": requests}


def request_line(request: CompanyRequest) -> dict[str, Any]:
    """The report line of a change that waits for the Agence Virtuelle (the same for a Contrôle seul)."""
    return {"kind": request.kind, "summary": request.summary, "status": "waiting", "fields": request.fields}


def settings_changes(plan: Plan, *, applied: bool) -> list[dict[str, Any]]:
    """The report lines for the company settings a plan changes (or, for a Contrôle seul, would)."""
    lines = []
    if plan.confirmations is not None:
        lines.append({"kind": "confirmations", "status": "applied",
                      "summary": f"Nombre de confirmations E@syPaiement : {plan.confirmations}.",
                      "fields": plan.settings_fields.get("confirmations", [])})
    if plan.admin_password is not None:
        verb = "a été changé" if applied else "serait changé"
        lines.append({"kind": "admin_password", "status": "applied",
                      "summary": f"Le mot de passe de l'administrateur des utilisateurs {verb}.",
                      "fields": plan.settings_fields.get("admin_password", [])})
    return lines


def apply_changes(conn: Connection, company: Any, changes: list[UserChange], hashes: Hashes, *, origin: Origin,
                  now: datetime, submission_id: str | None = None) -> None:
    """A plan's account changes, each by write_change; generated passwords go to their users."""
    for change in changes:
        generated = hashes.generated.get((change.sheet, change.row)) if change.action in (CREATE, RESET) else None
        write_change(conn, company, change, hashes.for_change(change), origin, now, password=generated,
                     submission_id=submission_id)


def write_change(conn: Connection, company: Any, change: UserChange, secrets: dict[str, str | None],
                 origin: Origin, now: datetime, *, password: str | None = None,
                 submission_id: str | None = None) -> int:
    """The one write path of an account change: the account, its audit and history rows, and a
    generated password's email to that user only. `company` is the adherents row; `secrets` the hashes
    to write; `change.fields` must be described already (the planner does it, or domain.plan.describe).
    """
    written = list(secrets)
    before = change.before
    # What a revert needs to put the secrets back: the hashes this change replaces, kept in the store only.
    previous = repo.account_secrets(conn, before.id, written) if before is not None and before.id and written \
        else None
    account_id = repo.apply_change(conn, company.id, change, secrets, now)
    assert account_id is not None
    repo.add_audit(conn, actor=origin.actor, numero=company.numero, action=change.action,
                   target=f"{change.teleservice}:{change.login}", before=public_state(before),
                   after=public_change(change), now=now)
    history.record_account(conn, adherent_id=company.id, account_id=account_id, teleservice=change.teleservice,
                           login=change.login, action=change.action, fields=change.fields, before=before,
                           origin=origin, now=now, previous=previous)
    if password is not None:
        notices.queue_generated_password(
            conn, change, password, adherent={"numero": company.numero, "raison_sociale": company.raison_sociale},
            submission_id=submission_id, now=now)
    return account_id


def write_settings(conn: Connection, company: Any, settings: dict[str, Any], fields: dict[str, list[dict[str, Any]]],
                   origin: Origin, now: datetime) -> None:
    """Company settings (confirmations, admin_password_hash), each with its audit and history rows."""
    if not settings:
        return
    repo.set_adherent(conn, company.id, updated_at=now, **settings)
    if "confirmations" in settings:
        history.record_setting(conn, adherent_id=company.id, action="confirmations",
                               fields=fields.get("confirmations") or [],
                               before={"confirmations": company.confirmations}, origin=origin, now=now)
    if "admin_password_hash" in settings:
        repo.add_audit(conn, actor=origin.actor, numero=company.numero, action="admin_password",
                       target=company.numero, now=now)
        history.record_setting(conn, adherent_id=company.id, action="admin_password",
                               fields=fields.get("admin_password") or [ADMIN_PASSWORD_FIELD], before={},
                               origin=origin, now=now, previous_password_hash=company.admin_password_hash)


def public_state(state: AccountState | None) -> dict[str, Any] | None:
    """An account as the audit trail shows it: never a secret or a hash."""
    if state is None:
        return None
    return {**state.fields, "status": state.status, "ordonnateur": state.ordonnateur,
            "validateur": state.validateur, "categories": sorted(state.categories)}


def public_change(change: UserChange) -> dict[str, Any]:
    """What a change sets, as the audit trail shows it: never a secret or a hash."""
    after: dict[str, Any] = dict(change.values)
    for name in ("ordonnateur", "validateur"):
        if getattr(change, name) is not None:
            after[name] = getattr(change, name)
    if change.categories is not None:
        after["categories"] = sorted(change.categories)
    if change.action in (DISABLE, ENABLE):
        after["status"] = "disabled" if change.action == DISABLE else "active"
    return after


def company_details(parsed: ParsedWorkbook) -> dict[str, str]:
    return {k: parsed.adherent.value(k) for k in layout.ADHERENT_DETAIL_KEYS}


def delegue_details(parsed: ParsedWorkbook) -> dict[str, str]:
    return {k: parsed.delegue.value(k) for k in layout.DELEGUE_DETAIL_KEYS}


# -- a held plan, kept for the Agence Virtuelle's decision ----------------------------

def serialize_plan(plan: Plan, hashes: Hashes) -> dict[str, Any]:
    changes = []
    for change in plan.effective:
        data = asdict(change)
        data.pop("password", None)
        data.pop("answers", None)
        data["before"] = None
        data["categories"] = sorted(change.categories) if change.categories is not None else None
        data["hashes"] = hashes.for_change(change)
        data["generated"] = (change.sheet, change.row) in hashes.generated
        changes.append(data)
    # What else the workbook asked for waits with it, applied on approval.
    admin_hash = hashes.values.get(ADMIN) if plan.admin_password is not None else None
    return {"changes": changes, "confirmations": plan.confirmations, "admin_password_hash": admin_hash}
