"""Each named check of the schemas: the spec's code, and the French message that says what to do.

A message may draw on the cell's field and value (never a secret: the
schemas blank it first), its row or form, and the request type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.shared_rules import EASYPAIEMENT_ROLE_MESSAGE
from provisioner.domain.vocabulary import Action
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
        return (f"Renseignez « {fld.label} » : l'action « {shown(action)} » s'applique au compte "
                "de ce login.")
    why = ("pour créer un compte" if action == Action.CREER.value else
           "quand l'Action est vide, car la ligne décrit le compte entier (créé ou mis à jour)")
    return f"Renseignez « {fld.label} » : cette information est obligatoire {why}.{_choose(fld)}"


def _required_in_form(fld: Field, _value: str, _ctx: MessageContext) -> str:
    when = "" if fld.required_for >= layout.ALWAYS else " pour un Abonnement"
    hint = f" {fld.hint}" if fld.hint and fld.kind is not Kind.CHOICE else ""
    return f"Renseignez « {fld.label} » : cette information est obligatoire{when}.{_choose(fld)}{hint}"


def _choose(fld: Field) -> str:
    return f" Choisissez {one_of(fld.choices)}." if fld.kind is Kind.CHOICE else ""


def _not_in_list(fld: Field, value: str, _ctx: MessageContext) -> str:
    if fld.kind is Kind.MARK:
        return (f"« {shown(value)} » n'est pas une marque admise : mettez X pour affecter la "
                f"catégorie {fld.label}, ou laissez la cellule vide.")
    return (f"« {shown(value)} » n'est pas une valeur admise pour « {fld.label} ». "
            f"Choisissez {one_of(fld.choices)}.")


RULES: dict[str, Rule] = {
    "required": Rule(FindingCode.REQUIRED, _required_in_form),
    "record_required": Rule(FindingCode.REQUIRED, _required_in_row),
    "category_login_required": Rule(FindingCode.REQUIRED, lambda f, v, c: (
        f"Renseignez « {f.label} » : chaque ligne de « {layout.CATEGORIES_SHEET} » concerne le login "
        "d'un utilisateur de Télédéclaration.")),
    "choice": Rule(FindingCode.INVALID_VALUE, _not_in_list),
    "email": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: (
        f"« {shown(v)} » n'est pas une adresse email valide : saisissez une seule adresse, de la "
        "forme prenom.nom@domaine.ma.")),
    "phone": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: (
        f"« {shown(v)} » n'est pas un numéro de téléphone valide : saisissez un numéro marocain "
        "(0522123456, 0661234567) ou international commençant par + (+33 1 23 45 67 89).")),
    "login": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: (
        f"Le login « {shown(v)} » n'est pas valide. Le login doit compter de 3 à 30 caractères : "
        "lettres sans accent, chiffres, point, tiret ou souligné.")),
    "numero": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: (
        f"« {shown(v)} » n'est pas un numéro d'adhérent : un numéro d'adhérent compte de 4 à 10 "
        "chiffres, sans espace ni lettre, tel qu'il figure sur vos bordereaux CIMR.")),
    "digits": Rule(FindingCode.INVALID_FORMAT, lambda f, v, c: (
        f"« {f.label} » ne doit contenir que des chiffres, sans espace ni lettre : corrigez "
        f"« {shown(v)} ».")),
    "password_policy": Rule(FindingCode.PASSWORD_POLICY, lambda f, v, c: POLICY_MESSAGE),
    "confirmation_differs": Rule(FindingCode.PASSWORD_MISMATCH, lambda f, v, c: (
        "La confirmation ne correspond pas au mot de passe : saisissez deux fois le même mot de passe.")),
    "confirmation_missing": Rule(FindingCode.PASSWORD_MISMATCH, lambda f, v, c: (
        f"Saisissez le mot de passe une seconde fois dans « {f.label} ». À la création ou à la "
        "réinitialisation, vous pouvez aussi vider les deux cellules : un mot de passe sera généré "
        "et envoyé à l'utilisateur.")),
    "password_missing": Rule(FindingCode.PASSWORD_MISMATCH, lambda f, v, c: (
        f"Une confirmation est saisie sans mot de passe : saisissez le mot de passe dans « {f.label} », "
        "ou videz aussi la confirmation.")),
    "easypaiement_role": Rule(FindingCode.EASYPAIEMENT_ROLE, lambda f, v, c: EASYPAIEMENT_ROLE_MESSAGE),
}

# When two checks fail on one cell the first in this order is the one kept.
CODE_PRIORITY = {code: rank for rank, code in enumerate((
    FindingCode.REQUIRED, FindingCode.INVALID_VALUE, FindingCode.INVALID_FORMAT, FindingCode.PASSWORD_POLICY,
    FindingCode.PASSWORD_MISMATCH, FindingCode.EASYPAIEMENT_ROLE))}
