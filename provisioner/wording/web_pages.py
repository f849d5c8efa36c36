"""The back office's pages (web/pages/): what an action did, what a confirmation asks, lists' sorts and exports.

The sentences the CLI says too are wording.results'; these are the web's own.
"""

from __future__ import annotations

from collections.abc import Mapping

IRREVERSIBLE = "Cette action ne peut pas être annulée."
NOTHING_DONE_PASSWORDS = "Le mot de passe et sa confirmation diffèrent : rien n'a été fait."

# Each list's sorts, by the value of its `tri` parameter.
ACCOUNT_SORTS: Mapping[str, str] = {"login": "par login", "nom": "par nom", "teleservice": "par téléservice",
                                    "statut": "par statut"}
ADHERENT_SORTS: Mapping[str, str] = {"numero": "par numéro", "nom": "par raison sociale", "statut": "par statut",
                                     "recent": "les plus récents d'abord"}
SUBMISSION_SORTS: Mapping[str, str] = {"recent": "les plus récentes d'abord", "ancien": "les plus anciennes d'abord",
                                       "adherent": "par adhérent", "statut": "par statut"}

# The CSV exports' header rows.
ACCOUNTS_HEADER = ("Login", "Téléservice", "Statut", "Nom", "Prénom", "Email", "Adhérent", "Raison sociale")
JOURNAL_HEADER = ("Quand", "Qui", "Action", "Adhérent", "Sur", "Motif")
SUBMISSIONS_HEADER = ("Reçue le", "Soumission", "Fichier", "Adhérent", "Type", "Statut", "Erreurs")

# The files a submission's page offers.
REPORT_HTML_FILE = "Rapport (HTML)"
REPORT_JSON_FILE = "Rapport (JSON)"
ANNOTATED_FILE = "Bordereau annoté"
FORM_FILE = "Formulaire d'abonnement (PDF)"

# Links back from a result page.
BACK_TO_MAILS = "Retour aux emails"
BACK_TO_OPERATORS = "Retour aux opérateurs"
BACK_TO_REQUESTS = "Retour aux demandes"
BACK_TO_SUBMISSIONS = "Retour aux soumissions"


def back_to_adherent(numero: str) -> str:
    return f"Retour à l'adhérent {numero}"


def see_adherent(numero: str) -> str:
    return f"Voir l'adhérent {numero}"


def not_created(login: str, reason: str) -> str:
    """An account an activation did not create, and why."""
    return f"Non créé : {login} ({reason})"


def ignored(login: str, reason: str) -> str:
    """An account an approved request left alone, and why."""
    return f"Ignoré : {login} ({reason})"


# An adherent's administrator password.
def reset_password_question(numero: str) -> str:
    return f"Nouveau mot de passe administrateur pour l'adhérent {numero} ?"


RESET_PASSWORD_WHAT = ("Un mot de passe est tiré au hasard et envoyé par email à la personne déléguée enregistrée ; "
                       "l'actuel cesse de valoir aussitôt. À faire seulement à réception de la lettre signée.")
RESET_PASSWORD_BUTTON = "Envoyer un nouveau mot de passe"


# An email sent again.
def mail_requeued(mail_id: str) -> str:
    return f"Email {mail_id} remis en file d'envoi"


MAIL_NEXT_ROUND = "Il partira au prochain passage du service."


# Operators (what was done is said by wording.results, shared with the CLI).
def disable_question(login: str) -> str:
    return f"Désactiver l'opérateur {login} ?"


def disable_what(login: str) -> list[str]:
    return [f"{login} ne pourra plus se connecter et ses sessions ouvertes seront fermées tout de suite.",
            "Un administrateur pourra le réactiver ensuite (bouton « Réactiver ») ; ses sessions, elles, "
            "ne reviendront pas."]


DISABLE_BUTTON = "Désactiver"
SESSIONS_CLOSED = "Ses sessions ouvertes sont fermées."
ENABLED_WHAT = "Il peut se connecter avec son mot de passe et son rôle."
ROLE_FROM_NEXT_PAGE = "Le nouveau rôle vaut dès sa page suivante."
PASSWORD_CHANGED_WHAT = "Son blocage est levé et ses sessions ouvertes sont fermées."


# Requests.
def approve_question(request_id: int) -> str:
    return f"Approuver la demande {request_id} ?"


MASS_DISABLE_WHAT = "Les comptes listés sur la page des demandes seront désactivés tout de suite."
APPROVE_AND_DISABLE = "Approuver et désactiver"
REFUSAL_NEEDS_REASON = ("Le motif est obligatoire pour refuser une demande : il est cité dans l'email "
                        "envoyé à la personne déléguée. Rien n'a été fait.")
NOTHING_APPLIED = "Rien n'en a été appliqué."


def request_approved(request_id: int) -> str:
    return f"Demande {request_id} approuvée"


def request_refused(request_id: int) -> str:
    return f"Demande {request_id} refusée"


# Submissions: a duplicate's page, and a revert.
def duplicate_title(submission_id: str) -> str:
    return f"Soumission {submission_id} : doublon"


def duplicate_line(file: str, received: str) -> str:
    return (f"Le fichier « {file} », reçu le {received}, avait déjà été reçu : il n'a pas été "
            f"traité une seconde fois et rien n'a été modifié.")


def see_original(submission_id: str) -> str:
    return f"Voir la soumission d'origine {submission_id}"


REVERT_NEEDS_REASON = ("Le motif est obligatoire pour annuler : il est enregistré et cité dans "
                       "l'email envoyé à la personne déléguée. Rien n'a été fait.")


def revert_refused(changed: object) -> str:
    """`changed` says which accounts changed since (service.revert.LaterChanges)."""
    return (f"Annulation refusée : {changed} depuis "
            "(liste ci-dessous). Rien n'a été modifié. En cochant « Forcer », les autres sont rétablis et "
            "ceux-là laissés tels quels.")
