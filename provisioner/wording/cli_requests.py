"""What `provisioner requests …` says of a request (how many changes it applied: wording.results)."""

from __future__ import annotations

NOTHING_APPLIED = "rien n'a été appliqué."


def decided(request_id: int, kind: str, numero: str, status: str) -> str:
    """« Demande 12 (Désactivation en masse, adhérent 123456) approuvée », then what it did."""
    return f"Demande {request_id} ({kind}, adhérent {numero}) {status}"


def skipped(teleservice: str, login: str, reason: str) -> str:
    return f"  ignoré : {teleservice}:{login} ({reason})"


def accounts(summary: str, logins: str) -> str:
    """A held mass deactivation: its summary, then the accounts it would disable."""
    return f"{summary} Comptes : {logins}"
