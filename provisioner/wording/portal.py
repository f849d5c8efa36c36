"""The portal's refusals: what happened, in one sentence, and what to do next (portal.guard.refusal shows them).

Every refusal says that nothing was kept (or done), so the person knows they
must send again; the advice tells them how.
"""

from __future__ import annotations

from typing import NamedTuple


class Refusal(NamedTuple):
    title: str
    message: str
    advice: str = ""


RELOAD = "Rechargez la page d'accueil et recommencez."

# The service itself (portal.app).
UNAVAILABLE = Refusal(
    "Service momentanément indisponible",
    "Le service ne peut pas traiter votre demande pour le moment : rien n'a été reçu ni gardé.",
    "Réessayez dans quelques minutes. Si cela dure, contactez l'Agence Virtuelle.")
NOT_FOUND = Refusal("Page introuvable", "Cette adresse ne mène à aucune page du portail.",
                    "Repartez de la page d'accueil.")
WRONG_METHOD = Refusal("Action impossible", "Cette page ne s'utilise pas ainsi : rien n'a été fait.",
                       "Repartez de la page d'accueil et utilisez ses formulaires.")
BROKEN = Refusal("Erreur du service", "Le service a rencontré une erreur : votre demande n'a pas abouti.",
                 "Réessayez dans quelques minutes. Si cela se reproduit, contactez l'Agence Virtuelle "
                 "en indiquant l'heure.")

# An upload (portal.intake_form).
UPLOAD_EXPIRED = Refusal("Formulaire expiré",
                         "Le formulaire a expiré ou ne vient pas de ce site : le fichier n'a été ni lu ni gardé.",
                         RELOAD)
NO_FILE = Refusal("Aucun fichier", "Aucun fichier n'a été joint, ou il est vide.",
                  "Choisissez votre classeur .xlsx (ou un .zip de classeurs), puis recommencez.")
TOO_SLOW = Refusal("Envoi interrompu",
                   "Le fichier arrivait trop lentement ou plus du tout : il n'a été ni lu ni gardé.",
                   "Vérifiez votre connexion (le Wi-Fi plutôt que le réseau mobile), puis recommencez.")
UNREADABLE_UPLOAD = Refusal("Envoi illisible", "Le formulaire reçu est incomplet ou mal formé : rien n'a été gardé.",
                            "Rechargez la page d'accueil et envoyez un seul fichier à la fois.")


def too_many_uploads(limit: int) -> Refusal:
    return Refusal("Trop d'envois",
                   f"Cette adresse a déjà envoyé {limit} fichiers dans l'heure : ce fichier n'a été ni lu ni gardé.",
                   "Réessayez dans une heure. Pour un grand nombre de bordereaux, envoyez-les dans un seul "
                   "fichier .zip.")


def too_large(megabytes: str) -> Refusal:
    return Refusal("Fichier trop volumineux", f"Le fichier dépasse {megabytes} Mo : il n'a été ni lu ni gardé.",
                   "Un bordereau tient largement dans cette taille : enregistrez-le à nouveau au "
                   "format .xlsx, sans images ; pour un lot, envoyez plusieurs .zip plus petits.")


# A check, and its annotated copy (portal.checking, portal.sending).
BUSY = Refusal("Service très demandé",
               "Beaucoup de classeurs sont en cours de vérification : le vôtre n'a été ni lu ni gardé.",
               "Réessayez dans une minute.")
LINK_EXPIRED = Refusal("Lien expiré ou inconnu",
                       "Ce lien ne mène à rien : il est mal recopié, ou la vérification a plus d'une heure "
                       "(la copie annotée n'est gardée qu'une heure).",
                       "Vérifiez à nouveau votre classeur depuis la page d'accueil.")
NO_ANNOTATED_COPY = Refusal("Pas de bordereau annoté",
                            "Ce fichier n'a pas (ou pas encore) de bordereau annoté : il n'y en a que pour un "
                            "bordereau refusé.", "Revenez à la page de suivi.")

# A pre-filled workbook (portal.prefill_form).
PREFILL_UNREADABLE = Refusal("Demande illisible", "Le formulaire reçu est mal formé : rien n'a été fait.", RELOAD)
PREFILL_EXPIRED = Refusal("Formulaire expiré",
                          "Le formulaire a expiré ou ne vient pas de ce site : rien n'a été fait.", RELOAD)
BAD_NUMERO = Refusal("Numéro d'adhérent invalide", "Un numéro d'adhérent compte 4 à 10 chiffres.",
                     "Corrigez-le et recommencez.")
TOO_MANY_PREFILLS_FROM = Refusal("Trop de demandes",
                                 "Cette adresse a fait trop de demandes dans l'heure : rien n'a été envoyé.",
                                 "Réessayez dans une heure.")


def too_many_prefills(per_day: int) -> Refusal:
    return Refusal("Trop de demandes pour ce numéro",
                   f"Le bordereau pré-rempli se demande au plus {per_day} fois "
                   "par jour pour un même numéro d'adhérent : rien n'a été envoyé.",
                   "Utilisez le dernier email reçu, ou réessayez demain.")
