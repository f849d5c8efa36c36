"""The dashboard's words (outbox/index.html and the web's `/`): its tiles, links and counts."""

from __future__ import annotations

from provisioner.wording.phrases import nombre

OVERDUE = "en attente depuis plus de 48 h"

# The tiles at the top of the page.
SUBSCRIPTIONS_TILE = "Abonnements à valider"
REQUESTS_TILE = "Demandes à traiter"
LOCKED_TILE = "Entreprises bloquées"
MAILS_TILE = "Emails en attente"
INBOX_TILE = "Fichiers dans la boîte de dépôt"
RECEIVED_TILE = "Envois des dernières 24 h"
WAITING_FOR_SMTP = "en attente d'un serveur SMTP"
INBOX_MISSING = "dossier introuvable"

NO_RECIPIENT = "(aucun destinataire valide)"

# The files a submission left in the outbox, as its links are named.
REPORT_LINK = "Rapport"
ANNOTATED_LINK = "Bordereau annoté"
FORM_LINK = "Formulaire"
BATCH_LINK = "Lot"


def overdue_among(overdue: int) -> str:
    return f"dont {overdue} {OVERDUE}"


def failed(count: int) -> str:
    return f"{count} en échec"


def rejected_among(count: int) -> str:
    return f"dont {nombre(count, 'refusé', 'refusés')}"


def chart_count(files: int, occurrences: int) -> str:
    """A bar's count: `3 fichiers · 7 erreurs`."""
    return f"{nombre(files, 'fichier', 'fichiers')} · {nombre(occurrences, 'erreur', 'erreurs')}"


def age(hours: float) -> str:
    """'2 j 5 h', '7 h', '25 min': how long something has waited, as a person says it."""
    minutes = max(0, int(hours * 60))
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return f"{days} j {rest // 60} h"
    if rest >= 60:
        return f"{rest // 60} h"
    return f"{rest} min"
