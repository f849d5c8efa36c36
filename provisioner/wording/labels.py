"""The French words for the service's keys: one table per concept, used by every surface.

A table gives the word as it reads inside a sentence or a plain table
(lowercase); `capital()` makes it a heading or a badge. Where a surface has
its own register (the dashboard's short badges, the report's full phrases),
that register sits here beside the plain word, never in the surface's module.
The keys are the store's and rapport.json's plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from provisioner.domain.vocabulary import REQUEST_TYPE_LABELS, Teleservice, teleservice_of


def capital(text: str) -> str:
    """`Création` from `création`: the first letter only (`E@syPaiement` keeps its case)."""
    return text[:1].upper() + text[1:]


def label(table: Mapping[str, str], key: str | None) -> str:
    """The word for `key` in `table`; an unknown key as it is (never a blank), nothing as ''."""
    return table.get(key or "", key or "")


# --- A submission (a workbook: le classeur, masculine) ---------------------------------

SUBMISSION_STATUS = {
    "accepted": "accepté",
    "rejected": "rejeté",
    "duplicate": "déjà traité",
    "held": "en attente d'approbation",
    "processing": "en cours de traitement",
}
# The dashboard's and the web pages' badges: the verdict alone, as the report's sentence words it
# (« Votre bordereau a été refusé »).
SUBMISSION_BADGE = {
    "accepted": "Accepté",
    "rejected": "Refusé",
    "duplicate": "Déjà traité",
    "held": "Accepté, en attente d'approbation",
    "processing": "En cours",
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
ACTION = {
    "create": ("création", "créations"),
    "update": ("modification", "modifications"),
    "disable": ("désactivation", "désactivations"),
    "enable": ("réactivation", "réactivations"),
    "reset_password": ("réinitialisation du mot de passe", "réinitialisations de mot de passe"),
}
# A company setting a change or a revert touches.
SETTING = {
    "confirmations": "nombre de confirmations E@syPaiement",
    "admin_password": "mot de passe de l'administrateur",
}
# What a workbook changes in the company (rapport.json's `company_changes`).
COMPANY_CHANGE = {
    "subscription": "abonnement",
    "delegue_change": "personne déléguée",
    "company_change": "informations de l'entreprise",
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
REQUEST_KIND = {
    "delegue_change": "changement de la personne déléguée",
    "company_change": "modification des informations de l'entreprise",
    "mass_disable": "désactivation d'un grand nombre de comptes",
}
# In a table's cell, for the Agence Virtuelle (dashboard, web pages, commands).
REQUEST_KIND_SHORT = {
    "delegue_change": "changement de personne déléguée",
    "company_change": "coordonnées de l'entreprise",
    "mass_disable": "désactivation massive",
}
REQUEST_STATUS = {"waiting": "en attente", "approved": "approuvée", "rejected": "refusée"}
# Why an account of a validated subscription or an approved request was not written.
SKIP_REASON = {"login_taken": "login déjà pris", "account_not_found": "compte introuvable"}


# --- Companies, accounts, emails ------------------------------------------------------------

ADHERENT_STATUS = {"pending": "en attente de validation", "active": "actif"}
ACCOUNT_STATUS = {"active": "actif", "disabled": "désactivé"}
MAIL_STATUS = {"pending": "en attente", "failed": "en échec", "sent": "envoyé"}
MAIL_BADGE = {"pending": "En attente", "failed": "Échec", "sent": "Envoyé"}


# --- History and the journal: where a change came from, what the Agence Virtuelle did ---------

# Where an account's or a setting's change came from (the history's `origin`).
ORIGIN = {
    "submission": "Bordereau", "subscription": "Validation de l'abonnement", "request": "Demande approuvée",
    "operator": "Action de l'Agence Virtuelle", "revert": "Annulation",
}
OPERATOR_ROLE = {"lecture": "lecture", "validation": "validation", "admin": "administration"}

EVENT = {
    "subscribe": "abonnement reçu", "activate": "validation d'abonnement", "unlock": "déblocage",
    "admin_password_reset": "nouveau mot de passe administrateur", "request_approved": "demande approuvée",
    "request_rejected": "demande refusée", "mail_retry": "email renvoyé", "operator_add": "opérateur ajouté",
    "operator_disable": "opérateur désactivé", "operator_enable": "opérateur réactivé",
    "operator_role": "rôle d'opérateur changé", "operator_password_reset": "mot de passe d'opérateur changé",
    "operator_locked": "opérateur bloqué après des échecs de connexion", "create": "compte créé",
    "update": "compte modifié", "disable": "compte désactivé", "enable": "compte réactivé",
    "reset_password": "mot de passe réinitialisé", "revert": "soumission annulée",
    "confirmations": "nombre de confirmations changé", "admin_password": "mot de passe administrateur changé",
}


# --- Where people stumble: error codes in words the Agence Virtuelle can act on --------------

CODE = {
    "FILE_TYPE": "fichier qui n'est pas un .xlsx",
    "FILE_UNREADABLE": "fichier illisible ou protégé",
    "FILE_TOO_LARGE": "fichier trop volumineux",
    "TEMPLATE_MISMATCH": "modèle modifié ou ancien",
    "REQUIRED": "valeur obligatoire manquante",
    "INVALID_VALUE": "valeur hors liste",
    "INVALID_FORMAT": "format incorrect (email, téléphone, login, numéro)",
    "PASSWORD_POLICY": "mot de passe non conforme",
    "PASSWORD_MISMATCH": "confirmation du mot de passe différente",
    "SECRET_QUESTIONS": "questions secrètes incomplètes",
    "LOGIN_DUPLICATE": "login en double dans le fichier",
    "LOGIN_TAKEN": "login déjà pris",
    "USER_NOT_FOUND": "compte introuvable",
    "CATEGORY_MISSING": "utilisateur sans catégorie",
    "CATEGORY_UNKNOWN_LOGIN": "catégories pour un login inconnu",
    "EASYPAIEMENT_ROLE": "E@syPaiement : ni ordonnateur ni validateur",
    "EASYPAIEMENT_VALIDATORS": "E@syPaiement : validateurs insuffisants",
    "AUTH_FAILED": "authentification refusée",
    "ACCOUNT_LOCKED": "accès bloqué",
    "ADHERENT_PENDING": "abonnement pas encore validé",
    "ADHERENT_EXISTS": "abonnement déjà enregistré",
    "HIDDEN_CONTENT": "contenu masqué",
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
