"""A held plan: a workbook whose changes wait for the Agence Virtuelle's decision (a mass deactivation).

The pipeline keeps it with its request (`serialize_plan`: each change with the hashes it writes, and the
company settings asked for; never a password in clear). On approval each change is rebuilt
(`rebuild_change`), judged again against the store of that day (`why_not`), and written through the one
write path (`apply_held_plan`); the held submission then counts as accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from provisioner.domain import diff
from provisioner.domain.diff import FieldChange
from provisioner.domain.plan_value import Plan, UserChange, describe
from provisioner.domain.request_payload import HeldChange, HeldPlan, RequestPayload
from provisioner.domain.view import ACCOUNT_FIELDS, StoreView
from provisioner.domain.vocabulary import CONFIRMATIONS, ChangeAction
from provisioner.service.agence.history import Origin
from provisioner.service.submission.account_writes import CompanySettings, write_change, write_settings
from provisioner.service.submission.plan_hashes import ADMIN, FreshPasswords, Hashes, secret_keys
from provisioner.store.adherents import Adherent
from provisioner.store.repositories import Repositories
from provisioner.workbook import layout

# Where a rebuilt change says it came from: it has no workbook cell any more.
HELD_SHEET = "held_plan"


@dataclass(frozen=True)
class HeldResult:
    applied: list[dict[str, str]] = field(default_factory=list)  # report lines of the changes written
    skipped: list[dict[str, str]] = field(default_factory=list)  # the same, with the reason they were not


def serialize_plan(plan: Plan, hashes: Hashes) -> HeldPlan:
    """What waits with the request: the plan's effective changes, their hashes, its company settings."""
    changes = [HeldChange(
        action=change.action, teleservice=change.teleservice, login=change.login, sheet=change.sheet,
        row=change.row, values=dict(change.values), ordonnateur=change.ordonnateur,
        validateur=change.validateur, generate_password=change.generate_password,
        questions=list(change.questions) if change.questions is not None else None,
        categories=sorted(change.categories) if change.categories is not None else None, before=None,
        fields=[f.copy() for f in change.fields], hashes=hashes.for_change(change),
        generated=(change.sheet, change.row) in hashes.generated) for change in plan.effective]
    # What else the workbook asked for waits with it, applied on approval.
    admin_hash = hashes.values.get(ADMIN) if plan.admin_password is not None else None
    return {"changes": changes, "confirmations": plan.confirmations, "admin_password_hash": admin_hash}


def held_changes(payload: RequestPayload) -> list[HeldChange]:
    """A request payload's held changes, as stored (an empty list for a request without a plan)."""
    plan = payload.get("plan")
    return list(plan.get("changes") or []) if plan else []


def generated_count(payload: RequestPayload) -> int:
    """How many held changes need a new generated password (the one drawn then was never kept)."""
    return sum(1 for c in held_changes(payload) if c.get("generated"))


def rebuild_change(data: HeldChange) -> UserChange:
    """A held plan's stored change as a UserChange (`before` is looked up again by the caller)."""
    questions = data.get("questions")
    categories = data.get("categories")
    return UserChange(
        str(data["action"]), str(data["teleservice"]), str(data["login"]), HELD_SHEET, int(data.get("row") or 0),
        values={k: str(v) for k, v in dict(data.get("values") or {}).items() if k in ACCOUNT_FIELDS},
        ordonnateur=data.get("ordonnateur"), validateur=data.get("validateur"),
        questions=(questions[0], questions[1], questions[2]) if questions and len(questions) == 3 else None,
        categories=frozenset(categories) if categories is not None else None)


def why_not(change: UserChange, view: StoreView) -> str | None:
    """Why a held change can no longer be applied (a key of wording.labels.SKIPPED), or None when it can."""
    if change.action == ChangeAction.CREATE:
        taken = change.key in view.accounts or change.key in view.taken
        return "login_taken" if taken else None
    account = view.accounts.get(change.key)
    if account is None or account.teleservice != change.teleservice:
        return "account_not_found"
    return None


def apply_held_plan(uow: Repositories, company: Adherent, payload: RequestPayload, passwords: FreshPasswords,
                    origin: Origin, now: datetime) -> HeldResult:
    """Apply a held workbook's changes, each judged again against the store of today, then its settings."""
    result = HeldResult()
    stored = held_changes(payload)
    view = uow.accounts.view(company, [str(c.get("login") or "") for c in stored])
    for data in stored:
        change = rebuild_change(data)
        reason = why_not(change, view)
        if reason is not None:
            result.skipped.append({**change.report(), "reason": reason})
            continue
        change.before = view.accounts.get(change.key) if change.action != ChangeAction.CREATE else None
        secrets = {k: v for k, v in dict(data.get("hashes") or {}).items() if k.endswith("_hash")}
        password = None
        if data.get("generated"):
            # The password drawn then was never kept in clear: its user gets a new one.
            password, secrets["password_hash"] = passwords.take()
        describe(change, secret_keys(secrets), generated=password is not None)
        write_change(uow, company, change, secrets, origin, now, password=password,
                     submission_id=origin.change_set)
        if change.action == ChangeAction.CREATE:
            view.taken[change.key] = company.numero  # the same login twice in a plan: once only
        result.applied.append(change.report())
    plan = payload.get("plan")
    if plan:
        _apply_settings(uow, company, plan, origin, now, result)
    if origin.change_set:
        # The held submission is settled: approved, it counts as accepted from now on.
        uow.submissions.settle_held(origin.change_set)
    return result


def _apply_settings(uow: Repositories, company: Adherent, plan: HeldPlan, origin: Origin, now: datetime,
                    result: HeldResult) -> None:
    settings: CompanySettings = {}
    fields: dict[str, list[FieldChange]] = {}
    # The layout's choices, as the workbook offered them (stored as the number the planner read).
    confirmations = str(plan.get("confirmations"))
    if confirmations in CONFIRMATIONS and int(confirmations) != company.confirmations:
        settings["confirmations"] = int(confirmations)
        fields["confirmations"] = [diff.setting_field(
            layout.FORM_FIELD[(layout.ADHERENT_SHEET, "confirmations")].label, company.confirmations,
            settings["confirmations"])]
    admin_password_hash = plan.get("admin_password_hash")
    if admin_password_hash and isinstance(admin_password_hash, str):
        settings["admin_password_hash"] = admin_password_hash
    if settings:
        write_settings(uow, company, settings, fields, origin, now)
        result.applied.append({"action": "company_settings", "teleservice": "",
                               "login": ", ".join(sorted(settings))})
