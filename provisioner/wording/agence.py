"""The Agence Virtuelle's words in its use cases: how a waiting request reads, and the fixed phrases its
commands record or put in their refusals."""

from __future__ import annotations

from collections.abc import Iterable

# The titles of the two kinds of details a request changes (the planner's request lines use them too).
COMPANY_DETAILS = "Coordonnées de l'entreprise"
DELEGATE = "Personne déléguée"

# The history's reason for an administrator password reset an operator did without giving one.
RESET_ON_SIGNED_LETTER = "réinitialisation sur lettre signée"

# What an operator may not do to their own account or to the last administrator (OwnAccount, LastAdmin).
CHANGE_ROLE_OF = "changer le rôle de"
DISABLE = "désactiver"


def mass_disable_summary(disable: object, active: object) -> str:
    return f"Désactivation de {disable} comptes sur {active} actifs."


def not_applied(logins: Iterable[str]) -> str:
    """The held changes an approval could not apply."""
    return f" Non appliqué (compte introuvable ou login déjà pris) : {', '.join(logins)}."


def details_summary(title: str, changed: str) -> str:
    return f"{title} : modification de {changed}."
