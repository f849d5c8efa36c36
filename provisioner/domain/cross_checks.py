"""The planner's checks on the state the plan leads to, across rows and sheets.

Télédéclaration: every active user keeps at least one category, and the
Catégories sheet names only users of the company (CATEGORY_MISSING,
CATEGORY_UNKNOWN_LOGIN). E@syPaiement: every user holds a role, and there
are enough validators for the confirmations asked (EASYPAIEMENT_ROLE,
EASYPAIEMENT_VALIDATORS); a new confirmations setting joins the plan here.
"""

from __future__ import annotations

from provisioner.domain import diff
from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.keys import label_key
from provisioner.domain.plan_value import UserChange
from provisioner.domain.planning import TD_KEYS, Planning
from provisioner.domain.shared_rules import lacks_role, leaves_no_category
from provisioner.domain.vocabulary import CONFIRMATIONS, ChangeAction, Teleservice
from provisioner.wording import plan_findings
from provisioner.wording.check_findings import EASYPAIEMENT_ROLE_MESSAGE, category_missing, unknown_category_login


def check_categories(p: Planning) -> None:
    final: dict[str, tuple[frozenset[str], UserChange | None]] = {}
    for key, account in p.view.accounts.items():
        if account.teleservice in TD_KEYS and account.active:
            final[key] = (account.categories, None)
    for change in p.plan.changes:
        if change.teleservice not in TD_KEYS:
            continue
        if change.action == ChangeAction.DISABLE:
            final.pop(change.key, None)
            continue
        before = change.before.categories if change.before else frozenset()
        final[change.key] = (change.categories if change.categories is not None else before, change)
    known = set(final) | p.undecided | {k for k, a in p.view.accounts.items() if a.teleservice in TD_KEYS}
    table = p.sheets.categories
    for key, (_, row) in p.category_rows.items():
        if key in known:
            continue
        login = row.values.get("login", "")
        p.error(FindingCode.CATEGORY_UNKNOWN_LOGIN, unknown_category_login(login), table.where(row.number, "login"))
    # Existing accounts named in Catégories but absent from the user sheets (disabled ones too:
    # a row replaces the user's categories, whatever the account's status).
    on_sheets = {c.key for c in p.plan.changes if c.teleservice in TD_KEYS}
    for key, (marks, row) in p.category_rows.items():
        stored = p.view.accounts.get(key)
        if stored is not None and stored.teleservice in TD_KEYS and key not in on_sheets:
            final[key] = (marks, None)
            p.plan.changes.append(UserChange(
                ChangeAction.UPDATE if marks != stored.categories else ChangeAction.UNCHANGED, stored.teleservice,
                stored.login, table.sheet, row.number, categories=marks, before=stored))
    for key, (marks, changed) in final.items():
        if not leaves_no_category(marks):
            continue
        if changed is not None:
            where = p.table_of(changed).where(changed.row, "login")
            login = changed.login
        elif key in p.category_rows:
            where = table.where(p.category_rows[key][1].number, "login")
            login = p.view.accounts[key].login
        else:
            continue  # an account left as it was: not this workbook's doing
        p.error(FindingCode.CATEGORY_MISSING, category_missing(login, table.sheet, has_row=key in p.category_rows),
                where)


def check_easypaiement(p: Planning) -> None:
    confirmations = _confirmations(p)
    final: dict[str, tuple[bool, bool, str, bool]] = {}  # key → (ord, val, email, active)
    for key, a in p.view.accounts.items():
        if a.teleservice == "easypaiement":
            final[key] = (a.ordonnateur, a.validateur, a.fields.get("email", ""), a.active)
    for change in p.plan.changes:
        if change.teleservice != "easypaiement":
            continue
        old = final.get(change.key, (False, False, "", True))
        ordo = old[0] if change.ordonnateur is None else change.ordonnateur
        vali = old[1] if change.validateur is None else change.validateur
        email = change.values.get("email", old[2])
        turns: dict[str, bool] = {ChangeAction.DISABLE: False, ChangeAction.ENABLE: True, ChangeAction.CREATE: True}
        active = turns.get(change.action, old[3])
        final[change.key] = (ordo, vali, email, active)
        if active and lacks_role(ordo, vali) and change.action in (ChangeAction.CREATE, ChangeAction.UPDATE):
            table = p.table_of(change)
            p.error(FindingCode.EASYPAIEMENT_ROLE, EASYPAIEMENT_ROLE_MESSAGE, table.where(change.row, "ordonnateur"))
    enabled = [v for v in final.values() if v[3]]
    if not enabled:
        return  # no E@syPaiement user at all: nothing to validate payments
    validators = [v for v in enabled if v[1]]
    people = {label_key(v[2]) or f"#{i}" for i, v in enumerate(validators)}
    if len(validators) < confirmations or (confirmations == 2 and len(people) < 2):
        form = p.sheets.adherent
        where: dict[str, object] = form.where("confirmations") if form.found("confirmations") else \
            {"sheet": p.sheets.users[Teleservice.EASYPAIEMENT].sheet}
        if len(validators) >= confirmations:
            # Enough validators, but one person: one address (compared without case) for them all.
            shared = validators[0][2]
            p.error(FindingCode.EASYPAIEMENT_VALIDATORS, plan_findings.one_validator_person(shared), where)
            return
        p.error(FindingCode.EASYPAIEMENT_VALIDATORS, plan_findings.too_few_validators(confirmations, len(validators)),
                where)


def _confirmations(p: Planning) -> int:
    typed = p.sheets.adherent.value("confirmations")
    current = p.view.company.confirmations if p.view.company else 1
    if typed in CONFIRMATIONS:
        if int(typed) != current and p.view.company is not None:
            p.plan.confirmations = int(typed)
            p.plan.settings_fields["confirmations"] = [diff.setting_field(
                p.sheets.adherent.labels["confirmations"], current, int(typed))]
        return int(typed)
    return current
