"""Each named check of the schemas: the spec's code, and the message that says what to do (its sentence:
wording.check_findings).

A message may draw on the cell's field and value (never a secret: the
schemas blank it first), its row or form, and the request type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.vocabulary import Action
from provisioner.wording import check_findings as say
from provisioner.wording.passwords import POLICY_MESSAGE
from provisioner.workbook import layout
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.row_rules import RECORD_ACTIONS
from provisioner.workbook.value_checks import one_of, shown


@dataclass(frozen=True)
class MessageContext:
    """What a message may draw on besides the cell: its row (or form) and the request type."""

    values: Mapping[str, str]
    request_type: str | None


Message = Callable[[Field, str, MessageContext], str]


@dataclass(frozen=True)
class Rule:
    code: FindingCode
    message: Message


def _required_in_row(fld: Field, _value: str, ctx: MessageContext) -> str:
    action = ctx.values.get("action", "")
    if fld.key == "login" and action not in RECORD_ACTIONS:
        return say.login_required_by_action(fld.label, shown(action))
    return say.required_in_row(fld.label, creating=action == Action.CREER.value, choose=_choose(fld))


def _required_in_form(fld: Field, _value: str, _ctx: MessageContext) -> str:
    hint = f" {fld.hint}" if fld.hint and fld.kind is not Kind.CHOICE else ""
    return say.required_in_form(fld.label, abonnement_only=not fld.required_for >= layout.ALWAYS,
                                choose=_choose(fld), hint=hint)


def _choose(fld: Field) -> str:
    return say.choose(one_of(fld.choices)) if fld.kind is Kind.CHOICE else ""


def _not_in_list(fld: Field, value: str, _ctx: MessageContext) -> str:
    if fld.kind is Kind.MARK:
        return say.not_a_mark(shown(value), fld.label)
    return say.not_in_list(shown(value), fld.label, one_of(fld.choices))


RULES: dict[str, Rule] = {
    "required": Rule(FindingCode.REQUIRED, _required_in_form),
    "record_required": Rule(FindingCode.REQUIRED, _required_in_row),
    "category_login_required": Rule(FindingCode.REQUIRED, lambda f, v, c: say.category_login_required(
        f.label, layout.CATEGORIES_SHEET)),
    "choice": Rule(FindingCode.INVALID_VALUE, _not_in_list),
    "email": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: say.invalid_email(shown(v))),
    "phone": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: say.invalid_phone(shown(v))),
    "login": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: say.invalid_login(shown(v))),
    "numero": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: say.invalid_numero(shown(v))),
    "digits": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: say.not_digits(f.label, shown(v))),
    "password_policy": Rule(FindingCode.PASSWORD_POLICY, lambda f, v, c: POLICY_MESSAGE),
    "confirmation_differs": Rule(FindingCode.PASSWORD_MISMATCH, lambda f, v, c: say.CONFIRMATION_DIFFERS),
    "confirmation_missing": Rule(FindingCode.PASSWORD_MISMATCH, lambda f, v, c: say.confirmation_missing(f.label)),
    "password_missing": Rule(FindingCode.PASSWORD_MISMATCH, lambda f, v, c: say.password_missing(f.label)),
    "easypaiement_role": Rule(FindingCode.EASYPAIEMENT_ROLE, lambda f, v, c: say.EASYPAIEMENT_ROLE_MESSAGE),
}

# When two checks fail on one cell the first in this order is the one kept.
CODE_PRIORITY = {code: rank for rank, code in enumerate((
    FindingCode.REQUIRED, FindingCode.INVALID_VALUE, FindingCode.INVALID_FORMAT, FindingCode.PASSWORD_POLICY,
    FindingCode.PASSWORD_MISMATCH, FindingCode.EASYPAIEMENT_ROLE))}
