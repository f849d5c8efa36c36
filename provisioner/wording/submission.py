"""What a submission's report says of the submission itself (not of a cell): a duplicate, an adherent
already subscribed, the company settings and the subscription it records."""

from __future__ import annotations


def already_received(when: str, first_id: str) -> str:
    """The same bytes came before: not the file's fault, said as a warning."""
    return (f"Ce fichier a déjà été reçu le {when} (soumission {first_id}) : il n'est pas "
            "traité une seconde fois et rien n'a été modifié. Pour une nouvelle demande, enregistrez "
            "un nouveau fichier.")


def already_subscribed(numero: str) -> str:
    return f"L'adhérent {numero} est déjà abonné aux TéléServices."


def already_subscribed_use_update(numero: str) -> str:
    """An Abonnement for a known company: what to send instead."""
    return (f"{already_subscribed(numero)} Pour modifier ses comptes, choisissez « Mise à jour » et saisissez "
            "le mot de passe de l'administrateur.")


AUTH_FAILED = ("Authentification refusée : le numéro d'adhérent ou le mot de passe de l'administrateur "
               "(feuille Délégué, « Mot de passe ») est incorrect. Vérifiez-les ; après plusieurs "
               "échecs l'accès est bloqué pour un temps.")


def locked_until(when: str) -> str:
    return (f"Trop de tentatives d'authentification échouées : l'accès est bloqué jusqu'au {when}. "
            "Réessayez ensuite ou contactez l'Agence Virtuelle.")


SUBSCRIPTION_NOT_VALIDATED = (
    "L'abonnement de votre entreprise n'a pas encore été validé par l'Agence Virtuelle : les mises à jour "
    "seront possibles après cette validation (sous 48 heures après réception du formulaire signé).")


SUBSCRIPTION_RECORDED = ("Abonnement enregistré : il attend la validation de l'Agence "
                         "Virtuelle après réception du formulaire signé et cacheté.")


def confirmations_set(confirmations: int) -> str:
    return f"Nombre de confirmations E@syPaiement : {confirmations}."


def admin_password_changed(*, applied: bool) -> str:
    """Applied, or what a Contrôle seul would do."""
    verb = "a été changé" if applied else "serait changé"
    return f"Le mot de passe de l'administrateur des utilisateurs {verb}."
