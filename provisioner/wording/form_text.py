"""The subscription form's words (formulaire-abonnement.pdf): its title, headings, labels and notes.

reports.subscription_form lays the page out; what it prints in French is here.
"""

from __future__ import annotations

from provisioner.wording import contact

TITLE = "Formulaire d'abonnement aux TéléServices CIMR"
AUTHOR = "TéléServices CIMR"
ISSUER = "CIMR — TéléServices"

STATEMENT = (
    "Nous demandons l'abonnement de notre entreprise aux TéléServices CIMR et désignons la "
    "personne déléguée ci-dessus comme administrateur des utilisateurs de notre entreprise. "
    "Nous certifions exactes les informations portées sur ce formulaire."
)
PASSWORD_NOTE = (
    "Le mot de passe de l'administrateur ne figure pas sur ce formulaire : la personne "
    "déléguée le garde confidentiel."
)

COMPANY_HEADING = "1. Informations générales de l'entreprise"
HEAD_HEADING = "2. Responsable de l'entreprise"
DELEGUE_HEADING = "3. Personne déléguée — Administrateur des utilisateurs"
COMMITMENT_HEADING = "4. Demande et engagement"

# The grid's labels, by the form data's key (subscription_form_data's COMPANY_KEYS and DELEGUE_KEYS).
RAISON_SOCIALE = "Raison sociale"
NUMERO = "Numéro d'adhérent"
LABELS: dict[str, str] = {
    "site_web": "Site web", "adresse": "Adresse", "ville": "Ville", "localite_rc": "Localité RC",
    "rc": "Numéro RC", "patente": "Numéro de patente", "nom": "Nom", "prenom": "Prénom",
    "civilite": "Civilité", "fonction": "Fonction", "tel1": "Téléphone fixe 1", "tel2": "Téléphone fixe 2",
    "tel": "Téléphone direct", "fax": "Fax", "gsm": "GSM", "email": "Email",
}

PLACE_AND_DATE = ("Fait à ................................................, "
                  "le ......... / ......... / ..................")
SIGNATURE = "Signature du responsable"
STAMP = "Cachet de l'entreprise"
SEND_TO = ("À envoyer par courrier, signé et cacheté, à : " + ", ".join(contact.ADDRESS)
           + ". L'abonnement est validé dans les 48 heures qui suivent la réception de ce "
             "formulaire ; la personne déléguée en est informée par email.")


def subject(numero: str, submission_id: str) -> str:
    """The PDF's subject (its properties)."""
    return f"Adhérent {numero}, envoi {submission_id}"


def submission(submission_id: str) -> str:
    return f"Envoi n° {submission_id}"


def requested(numero: str, day: str) -> str:
    """The line under the title: the company and the day of its request."""
    return f"Adhérent n° {numero} — Date de la demande : {day}"
