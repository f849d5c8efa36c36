"""The planner's working state: the workbook, the store snapshot, the plan being built, and where to say a finding.

Shared by the planner's jobs (domain.user_changes, domain.cross_checks,
domain.company_requests), which domain.plan runs in turn.
"""

from __future__ import annotations

from provisioner.domain.findings import FindingCode, error
from provisioner.domain.keys import login_key
from provisioner.domain.plan_value import Plan, UserChange
from provisioner.domain.sheets import Row, Sheets, Table
from provisioner.domain.view import StoreView
from provisioner.domain.vocabulary import CATEGORIES, CATEGORY_MARKS, RequestType, Teleservice

TD_KEYS = frozenset(t for t in Teleservice if t.has_categories)


class Planning:
    """One planning: what it reads (sheets, view), what it builds (plan), what it remembers between jobs."""

    def __init__(self, sheets: Sheets, view: StoreView) -> None:
        self.sheets = sheets
        self.view = view
        self.plan = Plan()
        self.abonnement = sheets.request_type == RequestType.ABONNEMENT
        self.category_rows = self._category_rows()
        # Logins of rows whose Action is outside its list: what the row wants is unknown, so
        # nothing that depends on it is judged (INVALID_VALUE, from the store-free rules, says it).
        self.undecided: set[str] = set()

    def _category_rows(self) -> dict[str, tuple[frozenset[str], Row]]:
        rows: dict[str, tuple[frozenset[str], Row]] = {}
        for row in self.sheets.categories.rows:
            key = login_key(row.values.get("login", ""))
            if key and key not in rows:
                marks = frozenset(c for c in CATEGORIES if row.values.get(c, "") in CATEGORY_MARKS)
                rows[key] = (marks, row)
        return rows

    def table_of(self, change: UserChange) -> Table:
        if change.sheet == self.sheets.categories.sheet:
            return self.sheets.categories
        return self.sheets.users[Teleservice(change.teleservice)]

    def error(self, code: FindingCode, message: str, where: dict[str, object]) -> None:
        self.plan.findings.append(error(code, message, **where))
