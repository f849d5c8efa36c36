"""The planner's first job: each row of a user sheet becomes an account change, judged against the store.

LOGIN_TAKEN, USER_NOT_FOUND and SECRET_QUESTIONS are said here; what a
row asks of an account it already has (Modifier, Désactiver…) becomes the
change's action, UNCHANGED when it would change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.domain.columns import ANSWER_KEYS, QUESTION_KEYS, account_columns
from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.keys import login_key, same_field_value
from provisioner.domain.plan_value import UserChange
from provisioner.domain.planning import TD_KEYS, Planning
from provisioner.domain.sheets import Table
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState
from provisioner.domain.vocabulary import Action, ChangeAction, Teleservice
from provisioner.wording import plan_findings

_KNOWN_ACTIONS = frozenset(a.value for a in Action)


def plan_row(p: Planning, ts: Teleservice, table: Table, row: int, rec: Mapping[str, str]) -> UserChange | None:
    login = rec.get("login", "")
    if not login:
        return None  # REQUIRED already said by the store-free rules
    key = login_key(login)
    action = rec.get("action", "")
    if action not in _KNOWN_ACTIONS:
        p.undecided.add(key)
        return None
    existing = p.view.accounts.get(key)
    mine = existing if existing is not None and existing.teleservice == ts else None
    where = table.where(row, "login")
    base = UserChange("", ts, login, table.sheet, row, before=mine)
    _take_values(p, base, ts, rec)
    if action in ("", Action.CREER.value):
        if mine is not None and action == "":
            return _update(p, base, mine, rec, declarative=True)
        taken_by = p.view.taken.get(key) or (existing.teleservice if existing else None)
        if taken_by is not None:
            p.error(FindingCode.LOGIN_TAKEN, _taken_message(login, existing, ts), where)
            return None
        return _create(p, base, rec, table, row)
    if mine is None:
        p.error(FindingCode.USER_NOT_FOUND,
                plan_findings.user_not_found(login, ts.label), where)
        return None
    if action == Action.MODIFIER.value:
        return _update(p, base, mine, rec, declarative=False)
    if action == Action.DESACTIVER.value:
        base.action = ChangeAction.DISABLE if mine.active else ChangeAction.UNCHANGED
        base.values = {}
        return base
    if action == Action.REACTIVER.value:
        base.action = ChangeAction.ENABLE if not mine.active else ChangeAction.UNCHANGED
        base.values = {}
        return base
    base.action = ChangeAction.RESET  # Action.REINITIALISER, the last one
    base.values = {}
    base.generate_password = base.password is None
    return base


def _take_values(p: Planning, change: UserChange, ts: Teleservice, rec: Mapping[str, str]) -> None:
    columns = set(account_columns(ts))
    change.values = {k: rec[k] for k in ACCOUNT_FIELDS if k in columns and rec.get(k, "")}
    if ts.has_powers:
        change.ordonnateur = _yes(rec.get("ordonnateur", ""))
        change.validateur = _yes(rec.get("validateur", ""))
    change.password = rec.get("password") or None
    questions = tuple(rec.get(key, "") for key in QUESTION_KEYS)
    answers = tuple(rec.get(key, "") for key in ANSWER_KEYS)
    if all(questions) and all(answers):
        change.questions = questions  # type: ignore[assignment]
        change.answers = answers  # type: ignore[assignment]
    marks = p.category_rows.get(login_key(rec.get("login", "")))
    if marks is not None and ts in TD_KEYS:
        change.categories = marks[0]


def _create(p: Planning, change: UserChange, rec: Mapping[str, str], table: Table, row: int) -> UserChange:
    change.action = ChangeAction.CREATE
    # A user of an Abonnement gets a generated password at activation, not now: it would
    # have to be kept in clear until then.
    change.generate_password = change.password is None and not p.abonnement
    if change.questions is None and not any(rec.get(key) for key in (*QUESTION_KEYS, *ANSWER_KEYS)):
        p.error(FindingCode.SECRET_QUESTIONS,
                plan_findings.NEEDS_QUESTIONS, table.where(row, QUESTION_KEYS[0]))
    return change


def _update(p: Planning, change: UserChange, mine: AccountState, rec: Mapping[str, str],
            *, declarative: bool) -> UserChange:
    changed = {k: v for k, v in change.values.items() if not same_field_value(k, mine.fields.get(k, ""), v)}
    change.values = changed
    powers_changed = (change.ordonnateur is not None and change.ordonnateur != mine.ordonnateur) or (
        change.validateur is not None and change.validateur != mine.validateur)
    categories_changed = change.categories is not None and change.categories != mine.categories
    questions_changed = change.questions is not None
    # A blank row never changes the status: a pre-filled workbook sent back as it is lists
    # disabled accounts too, and must change nothing.
    if changed or powers_changed or categories_changed or questions_changed or change.password:
        change.action = ChangeAction.UPDATE
    else:
        change.action = ChangeAction.UNCHANGED
    return change


def _taken_message(login: str, existing: AccountState | None, ts: Teleservice) -> str:
    if existing is not None:
        other = Teleservice(existing.teleservice).label
        return plan_findings.login_used_elsewhere(login, other)
    return plan_findings.login_taken(login)


def _yes(value: str) -> bool | None:
    if value == "":
        return None
    return value == "Oui"
