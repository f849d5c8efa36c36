"""What a change does to an account, column by column: `{"column", "old", "new"}` as people read it.

Pure: the planner describes a workbook's changes with it, and the history
describes every other change (an activation, an approved request, a revert)
with the same words. Columns carry the workbook's French labels; values are
shown as typed (Oui/Non for powers, "D, S0" for categories). A secret
column is named and never valued: `{"column": "Mot de passe"}`, with how it
was set on a creation or a reset: `{"column": "Mot de passe", "secret":
"generated"}` (wording.secrets).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import NotRequired, TypedDict

from provisioner.domain.columns import (
    ACCOUNT_LABELS,
    ANSWER_KEYS,
    POWER_KEYS,
    QUESTION_KEYS,
    SECRET_KEYS,
    account_columns,
)
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState
from provisioner.domain.vocabulary import CATEGORIES, AccountStatus, teleservice_of
from provisioner.wording.secrets import CHANGED, CHOSEN, GENERATED, secret_text

# A value as people read it: a field's text, Oui/Non, "D, S0", a setting's number; None when empty.
FieldValue = str | int | None


class FieldChange(TypedDict):
    """The JSON of one column: history rows and reports store it as it is. A secret column has neither
    `old` nor `new`; `secret` says how it was set when it did not simply change."""

    column: str
    old: NotRequired[FieldValue]
    new: NotRequired[FieldValue]
    secret: NotRequired[str]

STATUS_LABEL = "Statut"
CATEGORIES_LABEL = "Catégories"
STATUS_VALUES: dict[str, str] = {AccountStatus.ACTIVE: "Actif", AccountStatus.DISABLED: "Désactivé"}
# The secret keys a change may set, and the column that names each.
SECRET_LABELS = {key: ACCOUNT_LABELS[key] for key in SECRET_KEYS}
# « Réponse 1 » is feminine: its secret text agrees (« choisie »).
_FEMININE_SECRETS = frozenset(ACCOUNT_LABELS[key] for key in ANSWER_KEYS)


def account_fields(before: AccountState | None, after: AccountState,
                   secrets: Iterable[str] = (), *, generated: bool = False) -> list[FieldChange]:
    """The columns whose value differs between `before` (None: a creation) and `after`, then the secrets set.

    A secret set on a creation was chosen in the workbook, or `generated` (the
    password only) by the service; on an update it changed, unless generated.
    """
    old = shown_values(before) if before is not None else {}
    new = shown_values(after)
    fields: list[FieldChange] = []
    for label, value in new.items():
        was = old.get(label)
        if before is None and (value is None or label == STATUS_LABEL):
            continue  # a creation lists what it sets; every account starts active
        if was != value:
            fields.append({"column": label, "old": was, "new": value})
    for key in (k for k in SECRET_LABELS if k in set(secrets)):
        how = GENERATED if key == "password" and generated else CHOSEN if before is None else CHANGED
        fields.append(secret_field(SECRET_LABELS[key], how))
    return fields


def shown_values(state: AccountState) -> dict[str, FieldValue]:
    """An account's public values under their column labels, in the workbook's column order."""
    teleservice = teleservice_of(state.teleservice)
    values: dict[str, FieldValue] = {}
    for key in (account_columns(teleservice) if teleservice else ()):
        label = ACCOUNT_LABELS[key]
        if key in ACCOUNT_FIELDS:
            values[label] = state.fields.get(key) or None
        elif key in POWER_KEYS:
            values[label] = "Oui" if getattr(state, key) else "Non"
        elif key in QUESTION_KEYS:
            values[label] = state.questions[QUESTION_KEYS.index(key)] or None
    if teleservice is None:  # a key the service no longer knows: its stored fields, as they are
        values.update({k: state.fields.get(k) or None for k in ACCOUNT_FIELDS})
    if teleservice is not None and teleservice.has_categories:
        values[CATEGORIES_LABEL] = categories_text(state.categories)
    values[STATUS_LABEL] = STATUS_VALUES.get(state.status, state.status)
    return values


def categories_text(categories: Iterable[str]) -> str | None:
    order = {c: i for i, c in enumerate(CATEGORIES)}
    chosen = sorted(categories, key=lambda c: order.get(c, len(order)))
    return ", ".join(chosen) or None


def with_status(state: AccountState, status: str) -> AccountState:
    return replace(state, status=status)


def setting_field(label: str, old: FieldValue, new: FieldValue) -> FieldChange:
    return {"column": label, "old": old, "new": new}


def secret_field(label: str, how: str = CHANGED) -> FieldChange:
    """A secret column, named only; `secret` says how it was set when it did not simply change."""
    return {"column": label} if how == CHANGED else {"column": label, "secret": how}


EMPTY_TEXT = "—"


def before_after(field: FieldChange) -> tuple[str, str]:
    """A field as people read it: (before, after) texts; a secret column says how it was set, nothing more."""
    if "old" not in field and "new" not in field:
        return "", secret_text(field.get("secret"), feminine=field.get("column") in _FEMININE_SECRETS)
    return _text(field.get("old")), _text(field.get("new"))


def field_line(field: FieldChange) -> str:
    """`Email : a@x.ma → b@x.ma`, or `Mot de passe : choisi (jamais affiché)`."""
    old, new = before_after(field)
    return f"{field['column']} : {new}" if not old else f"{field['column']} : {old} → {new}"


def _text(value: FieldValue) -> str:
    return EMPTY_TEXT if value is None or value == "" else str(value)
