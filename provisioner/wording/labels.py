"""The French words for the service's keys: one table per concept, used by every surface.

A table gives the word as it reads inside a sentence or a plain table
(lowercase); `capital()` makes it a heading or a badge. Where a surface has
its own register (the dashboard's short badges, the report's full phrases),
that register sits here beside the plain word, never in the surface's module.
The keys are the store's and rapport.json's plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from provisioner.domain.vocabulary import (
    REQUEST_TYPE_LABELS,
    AccountStatus,
    AdherentStatus,
    ChangeAction,
    MailStatus,
    RequestKind,
    RequestStatus,
    SubmissionStatus,
    Teleservice,
    teleservice_of,
)


def capital(text: str) -> str:
    """`Création` from `création`: the first letter only (`E@syPaiement` keeps its case)."""
    return text[:1].upper() + text[1:]


def label(table: Mapping[str, str], key: str | None) -> str:
    """The word for `key` in `table`; an unknown key as it is (never a blank), nothing as ''."""
    return table.get(key or "", key or "")


# --- A submission (a workbook: le classeur, masculine) ---------------------------------

SUBMISSION_STATUS: dict[str, str] = {
    SubmissionStatus.ACCEPTED: "accepté",
    SubmissionStatus.REJECTED: "rejeté",
    SubmissionStatus.DUPLICATE: "déjà traité",
    SubmissionStatus.HELD: "en attente d'approbation",
    SubmissionStatus.PROCESSING: "en cours de traitement",
}
# The dashboard's and the web pages' badges: the verdict alone, as the report's sentence words it
# (« Votre bordereau a été refusé »).
SUBMISSION_BADGE: dict[str, str] = {
    SubmissionStatus.ACCEPTED: "Accepté",
    SubmissionStatus.REJECTED: "Refusé",
    SubmissionStatus.DUPLICATE: "Déjà traité",
    SubmissionStatus.HELD: "Accepté, en attente d'approbation",
    SubmissionStatus.PROCESSING: "En cours",
}
# The door a file came through (domain.vocabulary.Door), as the back office names it.
DOOR = {
    "inbox": "dossier de dépôt",
    "imap": "email",
    "portal": "portail des adhérents",
    "process": "commande « process »",
}
# The workbook's cell values are the words: `Mise à jour` for `mise_a_jour` (the domain's labels).
REQUEST_TYPE = REQUEST_TYPE_LABELS


# --- Changes to accounts and to the company -----------------------------------------------

# An account change's action, as a noun (singular, plural): `2 créations, 1 modification`.
ACTION: dict[str, tuple[str, str]] = {
    ChangeAction.CREATE: ("création", "créations"),
    ChangeAction.UPDATE: ("modification", "modifications"),
    ChangeAction.DISABLE: ("désactivation", "désactivations"),
    ChangeAction.ENABLE: ("réactivation", "réactivations"),
    ChangeAction.RESET: ("réinitialisation du mot de passe", "réinitialisations de mot de passe"),
}
# A company setting a change or a revert touches.
SETTING = {
    "confirmations": "nombre de confirmations E@syPaiement",
    "admin_password": "mot de passe de l'administrateur",
}
# What a workbook changes in the company (rapport.json's `company_changes`).
COMPANY_CHANGE: dict[str, str] = {
    "subscription": "abonnement",
    RequestKind.DELEGUE_CHANGE: "personne déléguée",
    RequestKind.COMPANY_CHANGE: "informations de l'entreprise",
    **SETTING,
}
# rapport.json's `counts`, in the order people read them: (participle singular, plural); the
# noun is `compte` but for password resets, which name their own.
COUNT_NOUN = ("compte", "comptes")
COUNT = {
    "created": ("créé", "créés"),
    "updated": ("modifié", "modifiés"),
    "disabled": ("désactivé", "désactivés"),
    "enabled": ("réactivé", "réactivés"),
    "reset_password": ("mot de passe réinitialisé", "mots de passe réinitialisés"),
    "unchanged": ("inchangé", "inchangés"),
}
OWN_NOUN = frozenset({"reset_password"})


# --- Requests waiting for the Agence Virtuelle's letter -------------------------------------

# In a sentence, for the company (report, emails).
REQUEST_KIND: dict[str, str] = {
    RequestKind.DELEGUE_CHANGE: "changement de la personne déléguée",
    RequestKind.COMPANY_CHANGE: "modification des informations de l'entreprise",
    RequestKind.MASS_DISABLE: "désactivation d'un grand nombre de comptes",
}
# In a table's cell, for the Agence Virtuelle (dashboard, web pages, commands).
REQUEST_KIND_SHORT: dict[str, str] = {
    RequestKind.DELEGUE_CHANGE: "changement de personne déléguée",
    RequestKind.COMPANY_CHANGE: "coordonnées de l'entreprise",
    RequestKind.MASS_DISABLE: "désactivation massive",
}
REQUEST_STATUS: dict[str, str] = {RequestStatus.WAITING: "en attente", RequestStatus.APPROVED: "approuvée",
                                  RequestStatus.REJECTED: "refusée"}
# Why an account of a validated subscription or an approved request was not written: in a list or a
# command's line (the Agence Virtuelle), and as the delegate reads it in an email.
SKIPPED = {
    "login_taken": ("login déjà pris",
                    "ce login a été pris entre-temps par un autre compte ; choisissez-en un autre"),
    "account_not_found": ("compte introuvable",
                          "ce compte n'existe plus pour votre entreprise sur ce téléservice"),
}
SKIP_REASON = {key: short for key, (short, _) in SKIPPED.items()}
SKIP_EXPLANATION = {key: told for key, (_, told) in SKIPPED.items()}


# --- Companies, accounts, emails ------------------------------------------------------------

ADHERENT_STATUS: dict[str, str] = {AdherentStatus.PENDING: "en attente de validation", AdherentStatus.ACTIVE: "actif"}
ACCOUNT_STATUS: dict[str, str] = {AccountStatus.ACTIVE: "actif", AccountStatus.DISABLED: "désactivé"}
MAIL_STATUS: dict[str, str] = {MailStatus.PENDING: "en attente", MailStatus.FAILED: "en échec",
                               MailStatus.SENT: "envoyé"}
MAIL_BADGE: dict[str, str] = {MailStatus.PENDING: "En attente", MailStatus.FAILED: "Échec", MailStatus.SENT: "Envoyé"}


# --- History and the journal: where a change came from, what the Agence Virtuelle did ---------

# Where an account's or a setting's change came from (the history's `origin`).
ORIGIN = {
    "submission": "Bordereau", "subscription": "Validation de l'abonnement", "request": "Demande approuvée",
    "operator": "Action de l'Agence Virtuelle", "revert": "Annulation",
}
OPERATOR_ROLE = {"lecture": "lecture", "validation": "validation", "admin": "administration"}

EVENT: dict[str, str] = {
    "subscribe": "abonnement reçu", "activate": "validation d'abonnement", "unlock": "déblocage",
    "admin_password_reset": "nouveau mot de passe administrateur", "request_approved": "demande approuvée",
    "request_rejected": "demande refusée", "mail_retry": "email renvoyé", "operator_add": "opérateur ajouté",
    "operator_disable": "opérateur désactivé", "operator_enable": "opérateur réactivé",
    "operator_role": "rôle d'opérateur changé", "operator_password_reset": "mot de passe d'opérateur changé",
    "operator_locked": "opérateur bloqué après des échecs de connexion", ChangeAction.CREATE: "compte créé",
    ChangeAction.UPDATE: "compte modifié", ChangeAction.DISABLE: "compte désactivé",
    ChangeAction.ENABLE: "compte réactivé", ChangeAction.RESET: "mot de passe réinitialisé",
    "revert": "soumission annulée",
    "confirmations": "nombre de confirmations changé", "admin_password": "mot de passe administrateur changé",
}


def in_workbook_order(keys: Iterable[str]) -> list[str]:
    """Téléservice keys in the workbook's order (its sheets'); an unknown key last, by name."""
    order = {str(key): i for i, key in enumerate(Teleservice)}
    return sorted(keys, key=lambda k: (order.get(k, len(order)), str(k)))


def teleservice_name(key: str | None) -> str:
    """`Télédéclaration (utilisateur interne)` for `td_interne`; an unknown key as it is."""
    found = teleservice_of(key)
    return found.label if found is not None else (key or "")


def action_word(action: str | None) -> str:
    """`création`, `nombre de confirmations E@syPaiement`: an account change's action, or a setting."""
    words = ACTION.get(action or "")
    return words[0] if words else label(SETTING, action)


def action_label(action: str | None) -> str:
    """`Création`, `Modification`…: the same as a heading word."""
    return capital(action_word(action))


def status_label(value: str | None) -> str:
    return label(SUBMISSION_STATUS, value)


def request_type_label(value: str | None) -> str:
    return label(REQUEST_TYPE, value)


def request_kind_label(value: str | None) -> str:
    return label(REQUEST_KIND, value)
