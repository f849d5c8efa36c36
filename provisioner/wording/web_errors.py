"""The back office's refusals and error pages: what happened, and that nothing was done.

Shared by web.errors (HTTP statuses), web.guard (form token, role, an
operator's mistake), web.origin (a form from elsewhere) and the
sign-in page.
"""

from __future__ import annotations

from collections.abc import Mapping

# An HTTP status → its page's title and message; 503's `{part}` is what does not answer.
PAGES: Mapping[int, tuple[str, str]] = {
    400: ("Requête invalide", "La requête envoyée est incomplète ou mal formée : rien n'a été fait."),
    403: ("Accès refusé", "Cette page ou cette action ne vous est pas permise."),
    404: ("Page introuvable", "Cette adresse ne mène à aucune page : vérifiez-la, ou repartez du tableau de bord."),
    405: ("Action impossible ici", "Cette adresse ne reçoit pas ce type de requête : utilisez les boutons et "
          "les liens des pages."),
    413: ("Envoi trop volumineux", "Le formulaire envoyé est trop volumineux : rien n'a été fait."),
    500: ("Erreur interne", "Une erreur inattendue a empêché de répondre : rien n'a été fait. Elle est "
          "consignée dans le journal du service ; si elle se répète, prévenez l'équipe technique."),
    503: ("Service momentanément indisponible", "{part} : les pages reviendront d'elles-mêmes dès qu'elle "
          "répondra. Réessayez dans une minute ; si cela dure, prévenez l'équipe technique."),
}
OTHER_STATUS_MESSAGE = "La requête n'a pas pu aboutir : rien n'a été fait."


def other_status(status: int) -> str:
    """The title of a status PAGES does not name."""
    return f"Erreur {status}"


# A form refused before anything is done.
ACTION_REFUSED = "Action refusée"
STALE_TOKEN = ("Le jeton de sécurité du formulaire est absent ou périmé : rien n'a été fait. "
               "Rechargez la page et recommencez.")
OTHER_ORIGIN = ("Ce formulaire n'a pas été envoyé depuis une page de ce site : rien n'a été fait. "
                "Rouvrez la page depuis le site et recommencez.")
ACCESS_REFUSED = "Accès refusé"
# An operator's mistake (service.agence's errors): the error's own sentence is the message.
IMPOSSIBLE = "Action impossible"
NOT_FOUND = "Introuvable"


def role_refused(role: str) -> str:
    return f"Votre rôle ({role}) ne permet pas cette page ou cette action."


# The sign-in page.
SIGNIN_REFUSED = ("Identifiant ou mot de passe incorrect. Après 5 échecs de suite, la connexion est bloquée "
                  "30 minutes : un administrateur peut la débloquer en changeant votre mot de passe.")
SESSION_ENDED = "Votre session a pris fin (inactivité ou durée maximale atteinte) : reconnectez-vous pour continuer."
SIGNIN_EXPIRED = "Le formulaire a expiré : rien n'a été fait. Saisissez à nouveau vos identifiants."
SIGNIN_MISSING = "Saisissez votre identifiant et votre mot de passe."


def too_many_sign_ins(minutes: int) -> str:
    return (f"Trop de connexions échouées depuis cette adresse : attendez {minutes} minutes avant de réessayer. "
            "Si vous avez oublié votre mot de passe, demandez-en un nouveau à un administrateur.")
