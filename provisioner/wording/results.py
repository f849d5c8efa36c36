"""The sentences that tell an operator what a command of the Agence Virtuelle did: one each, said the same
by the CLI and by the web back office (which put their own frame around them: a title, a prefix)."""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.wording.phrases import nombre


def notified(addresses: Sequence[str]) -> str:
    """Who was told by email of a decision, a validation or a revert."""
    if addresses:
        return f"Email envoyé à : {', '.join(addresses)}."
    return "Aucune adresse de personne déléguée enregistrée : personne n'a été prévenu."


def request_approved(applied: int, skipped: int) -> str:
    return f"{nombre(applied, 'changement appliqué', 'changements appliqués')}, {nombre(skipped, 'ignoré', 'ignorés')}."


def subscription_validated(numero: str) -> str:
    return f"Abonnement de l'adhérent {numero} validé"


def accounts_created(created: int, skipped: int) -> str:
    """What validating a subscription did."""
    return f"{nombre(created, 'compte créé', 'comptes créés')}, {nombre(skipped, 'non créé', 'non créés')}."


# `adherents activate` (CLI and web): the delegate's email is queued in the activation's
# transaction and leaves with the service's next round, not at once.
DELEGATE_TOLD_NEXT_ROUND = ("L'email qui prévient la personne déléguée est en file d'attente : il part au "
                            "prochain passage du service (provisioner serve).")


def unlocked(numero: str) -> str:
    return f"Adhérent {numero} débloqué"


def failures_cleared(failed_auth: int, *, was_locked: bool) -> str:
    """What lifting a company's lock did: the failures it forgot."""
    if was_locked:
        return f"{nombre(failed_auth, 'échec effacé', 'échecs effacés')}."
    if not failed_auth:
        return "Il n'était pas bloqué et n'avait aucun échec : rien n'a été changé."
    return f"Il n'était pas bloqué ; compteur d'échecs remis à zéro ({failed_auth} avant)."


def reverted(accounts: int, settings: int) -> str:
    """What a revert put back."""
    said = nombre(accounts, "compte rétabli", "comptes rétablis")
    if settings:
        said += ", " + nombre(settings, "réglage de l'entreprise rétabli", "réglages de l'entreprise rétablis")
    return said + "."


def changed_since(count: int) -> str:
    """Why a revert was refused: accounts or settings it would put back were changed since."""
    return nombre(count, "compte ou réglage a changé", "comptes ou réglages ont changé")


def left_as_they_are(count: int) -> str:
    """What a forced revert left alone."""
    return nombre(count, "compte ou réglage laissé tel quel", "comptes ou réglages laissés tels quels")


def admin_password_sent(numero: str) -> str:
    return f"Nouveau mot de passe administrateur de l'adhérent {numero} envoyé"


def sent_to_delegate(address: str) -> str:
    """Where a new administrator password went: it is never shown."""
    return f"Envoyé par email à la personne déléguée enregistrée ({address}). Il n'est affiché nulle part."


# The back office's operators (`provisioner operators …` and the web's operators page).
def operator_added(login: str, role: str) -> str:
    return f"Opérateur {login} ajouté (rôle {role})"


def operator_disabled(login: str) -> str:
    return f"Opérateur {login} désactivé"


def operator_enabled(login: str) -> str:
    return f"Opérateur {login} réactivé"


def operator_role(login: str, role: str) -> str:
    return f"Opérateur {login} : rôle {role}"


def operator_password_changed(login: str) -> str:
    return f"Mot de passe de l'opérateur {login} changé"
