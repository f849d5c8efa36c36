"""What `provisioner status` says of the service, line by line (the tables' headings stay with the tables)."""

from __future__ import annotations

from provisioner.wording.phrases import nombre, waiting_for_smtp

HEALTHY = "Santé du service : aucune anomalie signalée"
NO_UNFINISHED = "Aucune soumission en cours ou inachevée."
NO_SUBSCRIPTION_WAITING = "Aucun abonnement en attente."
NO_COMPANY_LOCKED = "Aucun adhérent bloqué."
OVERDUE = "EN RETARD"


def anomaly(message: str) -> str:
    return f"ANOMALIE : {message}"


def database_down(reason: str) -> str:
    return f"Base de données injoignable maintenant : {reason}"


def state_at(when: str) -> str:
    return f"État du service au {when}"


def inbox_waiting(path: str, files: int, *, exists: bool) -> str:
    return (f"Boîte de dépôt {path} : {nombre(files, 'fichier', 'fichiers')} en attente"
            + ("" if exists else " (dossier absent)"))


def unreadable_in_inbox(name: str) -> str:
    return anomaly(f"{name} illisible par le service (accès refusé) : il attend que ses droits soient corrigés")


def emails(pending: int, failed: int) -> str:
    return f"Emails : {pending} en attente d'envoi, {failed} en échec"


def smtp_missing(count: int) -> str:
    return anomaly(waiting_for_smtp(count))
