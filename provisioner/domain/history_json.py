"""What a history row keeps of the state a change replaced (the `history.before` column), for a revert.

An account's row keeps its public state (`state_json`: enough to restore it, never a secret or a hash);
a company setting's row keeps the setting's value then. service.agence.history writes both.
"""

from __future__ import annotations

from typing import TypedDict

from provisioner.domain.keys import login_key
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState
from provisioner.domain.vocabulary import AccountStatus


class StateJson(TypedDict):
    """An account's public state as `history.before` keeps it."""

    fields: dict[str, str]
    status: str
    ordonnateur: bool
    validateur: bool
    categories: list[str]
    questions: list[str]


class SettingBefore(TypedDict, total=False):
    """A company setting's value as `history.before` keeps it: `confirmations` for its row; nothing for the
    administrator password (its hash is kept apart, in `previous_password_hash`)."""

    confirmations: int


def state_json(state: AccountState) -> StateJson:
    """An account's public state, as `history.before` keeps it (enough to restore it, never a secret)."""
    return {"fields": dict(state.fields), "status": state.status, "ordonnateur": state.ordonnateur,
            "validateur": state.validateur, "categories": sorted(state.categories),
            "questions": list(state.questions)}


def state_from_json(data: StateJson, *, teleservice: str, login: str, account_id: int) -> AccountState:
    questions = list(data.get("questions") or ["", "", ""])
    return AccountState(
        teleservice, login, login_key(login), str(data.get("status") or AccountStatus.ACTIVE),
        {k: str(v) for k, v in dict(data.get("fields") or {}).items() if k in ACCOUNT_FIELDS},
        bool(data.get("ordonnateur")), bool(data.get("validateur")), frozenset(data.get("categories") or ()),
        (str(questions[0] or ""), str(questions[1] or ""), str(questions[2] or "")), account_id)
