"""What `provisioner submissions list|show|revert` and `accounts history` say besides their tables' headings
(the result sentences shared with the web are in wording.results)."""

from __future__ import annotations

NO_ACCOUNT_CHANGE = "Aucun changement de compte."
NO_CHANGE = "Aucun changement."
NO_ACCOUNT_TO_RESTORE = "Aucun compte à rétablir."
NO_CHANGE_RECORDED = "Aucun changement enregistré."
APPLIED = "appliqué"
LATER_CHANGES = "Changements postérieurs"
LEFT_AS_THEY_ARE = "Laissés tels quels (changés depuis)"


def submission_heading(submission_id: str, file: str, adherent: str | None, received: str, status: str) -> str:
    return (f"Soumission {submission_id} — « {file} », adhérent {adherent or '?'}, reçue le {received} : "
            f"bordereau {status}.")


def revert_heading(revert_id: str, target: str, adherent: str, at: str, operator: str, reason: str | None,
                   *, forced: bool) -> str:
    return (f"Annulation {revert_id} de {target}, adhérent {adherent}, le {at} ({operator})"
            + (f", motif : « {reason} »" if reason else "") + (" ; forcée" if forced else "") + ".")


def submission_reverted(target: str, revert_id: str) -> str:
    return f"Soumission {target} annulée ({revert_id})."


def setting_restored(fields: str) -> str:
    return f"Réglage rétabli : {fields}."


def account_heading(login: str, teleservice: str, adherent: str, status: str) -> str:
    return f"Compte {login} ({teleservice}, adhérent {adherent}) : {status}."
