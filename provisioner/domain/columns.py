"""An account's columns: their keys, the label people read, and their order on each téléservice.

The workbook's user sheets are built from this (adding the Action column and
each column's format), and the history describes a change with the same
labels, so a column is named the same way in the workbook, the reports and
the emails.
"""

from __future__ import annotations

from provisioner.domain.vocabulary import Teleservice

ACCOUNT_LABELS = {
    "civilite": "Civilité",
    "nom": "Nom",
    "prenom": "Prénom",
    "fonction": "Fonction",
    "mode": "Mode de télédéclaration",
    "prestataire": "Raison sociale du prestataire",
    "ordonnateur": "Ordonnateur",
    "validateur": "Validateur",
    "telephone": "Téléphone",
    "fax": "Fax",
    "gsm": "GSM",
    "email": "Email",
    "login": "Login",
    "password": "Mot de passe",
    "password_confirm": "Confirmation mot de passe",
    **{f"question{i}": f"Question {i}" for i in (1, 2, 3)},
    **{f"answer{i}": f"Réponse {i}" for i in (1, 2, 3)},
}
POWER_KEYS = ("ordonnateur", "validateur")
QUESTION_KEYS = ("question1", "question2", "question3")
ANSWER_KEYS = ("answer1", "answer2", "answer3")
SECRET_KEYS = ("password", *ANSWER_KEYS)

# The columns a téléservice adds to the common ones: they follow Fonction, as in the fund's forms.
EXTRA_KEYS = {
    Teleservice.TD_INTERNE: ("mode",),
    Teleservice.TD_EXTERNE: ("prestataire", "mode"),
    Teleservice.EASYPAIEMENT: POWER_KEYS,
}


def account_columns(teleservice: Teleservice) -> tuple[str, ...]:
    """The keys of a téléservice's account columns, in the workbook's order (no Action column)."""
    return ("civilite", "nom", "prenom", "fonction", *EXTRA_KEYS.get(teleservice, ()),
            "telephone", "fax", "gsm", "email", "login", "password", "password_confirm",
            *(key for pair in zip(QUESTION_KEYS, ANSWER_KEYS, strict=True) for key in pair))
