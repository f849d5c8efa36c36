"""Workbook × store snapshot → the changes to make, and the findings only the store can tell.

Pure: no I/O, no hashing. The pipeline calls it inside the transaction, so
the checks (LOGIN_TAKEN, USER_NOT_FOUND, CATEGORY_MISSING,
EASYPAIEMENT_VALIDATORS…) judge the state after the changes, as the spec asks.
Secrets (passwords, answers) travel in the plan as plain text only until the
pipeline hashes them; nothing here writes them anywhere.

The jobs, in the order they run: user_changes (one change per row),
cross_checks (categories, E@syPaiement), company_requests (details,
administrator password, mass deactivation); the plan's values are plan_value's.
"""

from __future__ import annotations

from provisioner.domain.company_requests import ask_company_changes, hold_mass_disable, take_admin_password
from provisioner.domain.cross_checks import check_categories, check_easypaiement
from provisioner.domain.plan_value import Plan, describe
from provisioner.domain.planning import Planning
from provisioner.domain.sheets import Sheets
from provisioner.domain.user_changes import plan_row
from provisioner.domain.view import StoreView


def make_plan(sheets: Sheets, view: StoreView) -> Plan:
    """Plan a workbook against the store; findings are errors unless said otherwise."""
    p = Planning(sheets, view)
    for teleservice, table in sheets.users.items():
        for row in table.rows:
            change = plan_row(p, teleservice, table, row.number, row.values)
            if change is not None:
                p.plan.changes.append(change)
    check_categories(p)
    check_easypaiement(p)
    if not p.abonnement:
        ask_company_changes(p)
        take_admin_password(p)
        hold_mass_disable(p)
    for change in p.plan.changes:
        describe(change)
    return p.plan
