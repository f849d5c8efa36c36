"""What a plan is made of: the account changes, the company requests waiting for a signed letter, the plan.

Values only, shared by the planner (domain.plan) and by whoever applies,
reports or holds a plan (the service layer).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from provisioner.domain import diff
from provisioner.domain.columns import ANSWER_KEYS
from provisioner.domain.findings import Finding
from provisioner.domain.keys import login_key
from provisioner.domain.request_payload import RequestPayload
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState
from provisioner.domain.vocabulary import AccountStatus, ChangeAction, RequestKind


@dataclass
class UserChange:
    """One account the workbook touches, and what happens to it."""

    action: str
    teleservice: str
    login: str
    sheet: str
    row: int
    values: dict[str, str] = field(default_factory=dict)  # non-secret fields to set
    ordonnateur: bool | None = None
    validateur: bool | None = None
    password: str | None = None  # secret, typed in the workbook
    generate_password: bool = False
    questions: tuple[str, str, str] | None = None
    answers: tuple[str, str, str] | None = None  # secret
    categories: frozenset[str] | None = None
    before: AccountState | None = None
    # Column by column, what the change does (diff.account_fields): set by describe(), never a secret's value.
    fields: list[diff.FieldChange] = field(default_factory=list)

    @property
    def key(self) -> str:
        return login_key(self.login)

    def secret_keys(self) -> tuple[str, ...]:
        """The secret columns this change sets (a creation always gets a password: typed or generated)."""
        password = self.action in (ChangeAction.CREATE, ChangeAction.RESET) or (
            self.action == ChangeAction.UPDATE and self.password is not None)
        answers = self.action in (ChangeAction.CREATE, ChangeAction.UPDATE) and self.answers is not None
        return (("password",) if password else ()) + (ANSWER_KEYS if answers else ())

    def password_generated(self) -> bool:
        """Whether the service draws this change's password: none typed on a creation or a reset.

        A user of an Abonnement gets it at activation, the others when the workbook is applied.
        """
        return self.password is None and self.action in (ChangeAction.CREATE, ChangeAction.RESET)

    def report(self) -> dict[str, str]:
        return {"action": self.action, "teleservice": self.teleservice, "login": self.login}


def after_state(change: UserChange) -> AccountState:
    """The account as it will be once `change` is applied (its public part)."""
    before = change.before
    if change.action == ChangeAction.CREATE or before is None:
        return AccountState(change.teleservice, change.login, change.key, AccountStatus.ACTIVE,
                            {k: change.values.get(k, "") for k in ACCOUNT_FIELDS}, bool(change.ordonnateur),
                            bool(change.validateur), change.categories or frozenset(),
                            change.questions or ("", "", ""))
    if change.action == ChangeAction.DISABLE:
        return replace(before, status=AccountStatus.DISABLED)
    if change.action == ChangeAction.ENABLE:
        return replace(before, status=AccountStatus.ACTIVE)
    if change.action != ChangeAction.UPDATE:
        return before
    return replace(
        before, fields={**before.fields, **change.values},
        ordonnateur=before.ordonnateur if change.ordonnateur is None else change.ordonnateur,
        validateur=before.validateur if change.validateur is None else change.validateur,
        categories=before.categories if change.categories is None else change.categories,
        questions=change.questions or before.questions)


def describe(change: UserChange, secret_keys: tuple[str, ...] | None = None, *,
             generated: bool = False) -> UserChange:
    """Set `change.fields`. A rebuilt change holds no secret in clear: its caller gives the `secret_keys` it
    sets and whether its password is `generated`; a change read from a workbook says both itself."""
    if secret_keys is None:
        secret_keys, generated = change.secret_keys(), change.password_generated()
    change.fields = diff.account_fields(change.before, after_state(change), secret_keys, generated=generated)
    return change


@dataclass
class CompanyRequest:
    """A change the fund wants a signed letter for: waits for the Agence Virtuelle."""

    kind: RequestKind
    payload: RequestPayload
    summary: str
    fields: list[diff.FieldChange] = field(default_factory=list)


@dataclass
class Plan:
    changes: list[UserChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    confirmations: int | None = None  # the new setting, when it changes
    admin_password: str | None = None  # secret: the new administrator password
    requests: list[CompanyRequest] = field(default_factory=list)
    held: bool = False  # mass deactivation: nothing applied, a request waits
    # Company settings this plan changes (confirmations, admin_password) → their fields, as for accounts.
    settings_fields: dict[str, list[diff.FieldChange]] = field(default_factory=dict)

    @property
    def effective(self) -> list[UserChange]:
        return [c for c in self.changes if c.action != ChangeAction.UNCHANGED]

    def counts(self) -> dict[str, int]:
        tally = Counter(c.action for c in self.changes)
        return {"created": tally[ChangeAction.CREATE], "updated": tally[ChangeAction.UPDATE],
                "disabled": tally[ChangeAction.DISABLE], "enabled": tally[ChangeAction.ENABLE],
                "reset_password": tally[ChangeAction.RESET], "unchanged": tally[ChangeAction.UNCHANGED]}

