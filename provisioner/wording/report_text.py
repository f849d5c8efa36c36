"""rapport.html's sentences: the outcome of a submission, its headings and the state of each change.

reports.report_html decides which sentence a report takes; the words are here.
"""

from __future__ import annotations

from provisioner.wording.phrases import nombre

DUPLICATE = "Ce fichier a déjà été traité : rien n'a été modifié."
REJECTED = "Votre bordereau a été refusé. Rien n'a été appliqué."
CONTROLE_ACCEPTED = "Contrôle seul : ce bordereau serait accepté tel quel ; rien n'a été appliqué."
SUBSCRIPTION_RECORDED = ("Votre demande d'abonnement a été enregistrée : elle prendra effet dès que "
                         "l'Agence Virtuelle l'aura validée.")
HELD = ("Votre bordereau a été accepté, mais rien n'est encore appliqué : ses "
        "changements attendent l'approbation de l'Agence Virtuelle.")
ACCEPTED_UNCHANGED = "Votre bordereau a été accepté : aucun compte n'a changé."

# The heading above the accounts' changes, by what the submission did.
CHANGES_CONTROLE = "Ce qui serait fait"
CHANGES_SUBSCRIPTION = "Comptes qui seront créés à la validation de l'abonnement"
CHANGES_HELD = "Changements en attente d'approbation"
CHANGES_DONE = "Ce qui a été fait"

# A change to the company: applied, or waiting for the Agence Virtuelle (a control says what would be).
COMPANY_APPLIED = "Appliqué"
COMPANY_WOULD_APPLY = "Serait appliqué"
COMPANY_WAITING = "En attente de l'Agence Virtuelle"
COMPANY_WOULD_WAIT = "Demanderait l'approbation de l'Agence Virtuelle"

# Where a finding is when it has no cell or no sheet.
NO_PLACE = "—"
WHOLE_FILE = "Fichier"


def duplicate_on(when: str) -> str:
    return f"Ce fichier a déjà été traité le {when} : rien n'a été modifié."


def rejected(errors: int, *, controle: bool) -> str:
    """The outcome of a refused workbook with `errors` findings to correct (0: none listed)."""
    counted = nombre(errors, "erreur", "erreurs")
    if controle:
        return f"Contrôle seul : ce bordereau serait refusé ({counted} à corriger) ; rien n'a été appliqué."
    if errors:
        return f"Votre bordereau a été refusé : {counted} à corriger. Rien n'a été appliqué."
    return REJECTED


def subscription_recorded(created: int) -> str:
    """An Abonnement waiting for its validation, with the accounts it will create."""
    if not created:
        return SUBSCRIPTION_RECORDED
    verb = "sera créé" if created == 1 else "seront créés"
    return (f"Votre demande d'abonnement a été enregistrée : "
            f"{nombre(created, 'compte', 'comptes')} {verb} dès que l'Agence "
            "Virtuelle l'aura validée.")


def accepted(summary: str) -> str:
    """An applied workbook; `summary` is phrases.counts_sentence's ('' when nothing changed)."""
    return f"Votre bordereau a été accepté : {summary}." if summary else ACCEPTED_UNCHANGED


def line(row: int) -> str:
    return f"ligne {row}"
