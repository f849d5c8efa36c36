"""The planner's company-level job: what is not an account (an Avenant or a Mise à jour only).

A change of the company's or the delegate's details becomes a request that
waits for a signed letter; a new administrator password joins the plan; a
mass deactivation holds the whole plan until the Agence Virtuelle agrees.
"""

from __future__ import annotations

from provisioner.domain import diff
from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import warning
from provisioner.domain.keys import label_key
from provisioner.domain.plan_value import CompanyRequest
from provisioner.domain.planning import Planning
from provisioner.domain.vocabulary import (
    ADHERENT_DETAIL_KEYS,
    DELEGUE_DETAIL_KEYS,
    ChangeAction,
    RequestKind,
    RequestType,
)
from provisioner.wording import agence, plan_findings

MASS_DISABLE_MIN = 5


def ask_company_changes(p: Planning) -> None:
    company = p.view.company
    if company is None:
        return
    for kind, form, keys, stored, title in (
        (RequestKind.COMPANY_CHANGE, p.sheets.adherent, ADHERENT_DETAIL_KEYS, company.company,
         agence.COMPANY_DETAILS),
        (RequestKind.DELEGUE_CHANGE, p.sheets.delegue, DELEGUE_DETAIL_KEYS, company.delegue,
         agence.DELEGATE),
    ):
        changed = {k: form.value(k) for k in keys
                   if form.value(k) and label_key(form.value(k)) != label_key(stored.get(k, "") or "")}
        if not changed:
            continue
        labels = ", ".join(form.labels[k] for k in changed)
        fields = [diff.setting_field(form.labels[k], stored.get(k) or None, v)
                  for k, v in changed.items()]
        p.plan.requests.append(CompanyRequest(
            kind, {"changes": changed, "before": {k: stored.get(k, "") for k in changed}},
            plan_findings.details_request(title, labels), fields))
        p.plan.findings.append(warning(
            FindingCode.REQUEST_WAITING, plan_findings.details_waiting(title, labels), sheet=form.sheet))


def take_admin_password(p: Planning) -> None:
    new = p.sheets.delegue.value("new_password")
    if new and new == p.sheets.delegue.value("new_password_confirm"):
        p.plan.admin_password = new
        p.plan.settings_fields["admin_password"] = [
            diff.secret_field(p.sheets.delegue.labels["new_password"])]


def hold_mass_disable(p: Planning) -> None:
    active = sum(1 for a in p.view.accounts.values() if a.active)
    disabled = sum(1 for c in p.plan.changes if c.action == ChangeAction.DISABLE)
    if disabled >= MASS_DISABLE_MIN and disabled * 2 > active:
        p.plan.held = True
        p.plan.requests.append(CompanyRequest(
            RequestKind.MASS_DISABLE, {"disable": disabled, "active": active},
            plan_findings.mass_disable_request(disabled, active)))
        p.plan.findings.append(warning(FindingCode.MASS_DISABLE_HELD, plan_findings.mass_disable_held(
            disabled, active, controle=p.sheets.request_type == RequestType.CONTROLE)))
