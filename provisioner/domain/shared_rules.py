"""The rules both the store-free check (workbook/) and the planner (domain.cross_checks) apply.

The check judges what a workbook says alone, the planner what the store plus
the workbook lead to; each rule is one predicate and one message here, so the
two never disagree on what is wrong nor on what to do about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from provisioner.domain.vocabulary import CATEGORIES

if TYPE_CHECKING:
    import numpy as np

# One user's powers, or a column of them (the check judges a whole table at once).
Truth = TypeVar("Truth", bool, "np.ndarray")


def lacks_role(ordonnateur: Truth, validateur: Truth) -> Truth:
    """EASYPAIEMENT_ROLE: neither Ordonnateur nor Validateur (`^ True` negates a bool and a column alike)."""
    neither: Truth = (ordonnateur | validateur) ^ True
    return neither


EASYPAIEMENT_ROLE_MESSAGE = (
    "Un utilisateur E@syPaiement doit être Ordonnateur, Validateur ou les deux : mettez « Oui » "
    "dans au moins une des deux colonnes.")


def unknown_category_login(login: str) -> str:
    """CATEGORY_UNKNOWN_LOGIN: a Catégories row whose login is no Télédéclaration user of the company."""
    return (f"Le login « {login} » n'est pas un utilisateur de Télédéclaration (interne ou externe) "
            "de votre entreprise : seuls ces utilisateurs ont des catégories. Corrigez le login ou "
            "supprimez la ligne.")


def leaves_no_category(marks: frozenset[str] | set[str]) -> bool:
    """CATEGORY_MISSING: an active Télédéclaration user keeps at least one category."""
    return not marks & set(CATEGORIES)


def category_missing(login: str, sheet: str, *, has_row: bool, may_keep: bool = False) -> str:
    """CATEGORY_MISSING's message: `has_row` when the user's Catégories row has no mark,
    `may_keep` when deleting that row would keep the categories already stored."""
    listed = ", ".join(CATEGORIES[:-1]) + " ou " + CATEGORIES[-1]
    if has_row:
        todo = f"mettez X sous au moins une catégorie ({listed}) sur sa ligne de la feuille « {sheet} »"
    else:
        todo = (f"ajoutez une ligne à son login dans la feuille « {sheet} » et mettez X sous au "
                f"moins une catégorie ({listed})")
    keep = ", ou supprimez la ligne pour garder ses catégories actuelles" if may_keep else ""
    return f"L'utilisateur de Télédéclaration « {login} » n'aurait aucune catégorie : {todo}{keep}."
