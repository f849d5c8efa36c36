"""The words people read, in one place: French labels for the service's keys, plurals, dates.

Used by the emails (as Jinja2 filters), the reports, the CLI and the web pages. Pure and light (no
template engine, no database): the operator commands import it at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from provisioner.domain.vocabulary import Teleservice, teleservice_of
from provisioner.reports import clock

NBSP = "\u00a0"  # French typography: before « : » and inside « »

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")

def date_fr(value: datetime | str | None, with_time: bool = True) -> str:
    """`26 novembre 2026 à 14 h 05` (Casablanca time); ISO strings (rapport.json) accepted."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = clock.local(moment)  # readers are in Morocco
    day = "1er" if local.day == 1 else str(local.day)
    text = f"{day} {_MONTHS[local.month - 1]} {local.year}"
    if with_time:
        text += f" à {local.hour}{NBSP}h{NBSP}{local.minute:02d}{clock.SUFFIX}"
    return text


def teleservice_name(key: str | None) -> str:
    if not key:
        return ""
    found = teleservice_of(key)
    return found.label if found else key


_ACTIONS = {
    "create": ("création", "créations"),
    "update": ("modification", "modifications"),
    "disable": ("désactivation", "désactivations"),
    "enable": ("réactivation", "réactivations"),
    "reset_password": ("réinitialisation de mot de passe", "réinitialisations de mot de passe"),
}
# rapport.json's `counts` keys, in the order people read them.
_COUNTS = {
    "created": ("compte créé", "comptes créés"),
    "updated": ("compte modifié", "comptes modifiés"),
    "disabled": ("compte désactivé", "comptes désactivés"),
    "enabled": ("compte réactivé", "comptes réactivés"),
    "reset_password": ("mot de passe réinitialisé", "mots de passe réinitialisés"),
    "unchanged": ("compte inchangé", "comptes inchangés"),
}


def action_label(action: str | None) -> str:
    """`Création`, `Modification`, ...: a change's action as a heading word."""
    if not action:
        return ""
    singular = _ACTIONS.get(action, (action, action))[0]
    return singular[:1].upper() + singular[1:]


def request_type_label(value: str | None) -> str:
    labels = {"abonnement": "Abonnement", "mise_a_jour": "Mise à jour", "controle": "Contrôle seul"}
    return labels.get(value or "", value or "")


def request_kind_label(value: str | None) -> str:
    labels = {
        "delegue_change": "changement de la personne déléguée",
        "company_change": "modification des informations de l'entreprise",
        "mass_disable": "désactivation de nombreux comptes",
    }
    return labels.get(value or "", value or "")


def status_label(value: str | None) -> str:
    """A workbook's outcome (le classeur: masculine)."""
    labels = {
        "accepted": "accepté",
        "rejected": "rejeté",
        "duplicate": "déjà traité",
        "held": "en attente",
        "processing": "en cours de traitement",
    }
    return labels.get(value or "", value or "")


def nombre(count: int | None, singular: str, plural: str) -> str:
    """`1 erreur`, `3 erreurs`: French takes the singular for 0 and 1."""
    n = count or 0
    return f"{n} {singular if n <= 1 else plural}"


def place(finding: Mapping[str, Any]) -> str:
    """Where a finding applies, as a person would say it; `le fichier` when it names nothing."""
    parts = []
    if finding.get("sheet"):
        parts.append(f"feuille «{NBSP}{finding['sheet']}{NBSP}»")
    if finding.get("cell"):
        parts.append(f"cellule {finding['cell']}")
    elif finding.get("row"):
        parts.append(f"ligne {finding['row']}")
    if finding.get("column") and not finding.get("cell"):
        parts.append(f"colonne «{NBSP}{finding['column']}{NBSP}»")
    return ", ".join(parts) if parts else "ensemble du fichier"


def adherent_label(value: Mapping[str, Any] | str | None) -> str:
    """`123456 (Raison sociale)` from a dict with `numero`/`raison_sociale`, or the number alone."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        numero = str(value.get("numero") or "")
        name = value.get("raison_sociale")
        return f"{numero} ({name})" if name and numero else numero or str(name or "")
    return str(value)


def adherent_numero(value: Mapping[str, Any] | str | None) -> str:
    """The member number alone, from a dict with `numero` or the number itself."""
    if isinstance(value, Mapping):
        return str(value.get("numero") or "")
    return "" if value is None else str(value)


def counts_summary(counts: Mapping[str, int] | None, *, skip_zero: bool = True) -> list[str]:
    """`["2 comptes créés", "1 compte modifié"]` from rapport.json's `counts`."""
    counts = counts or {}
    return [
        nombre(counts.get(key), *words)
        for key, words in _COUNTS.items()
        if not skip_zero or counts.get(key)
    ]


def by_teleservice(changes: Iterable[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    """`[(name, "2 créations, 1 modification"), ...]` in the order of the téléservices."""
    per: dict[str, dict[str, int]] = {}
    for change in changes or ():
        actions = per.setdefault(str(change.get("teleservice") or ""), {})
        action = str(change.get("action") or "")
        actions[action] = actions.get(action, 0) + 1
    order: list[str] = list(Teleservice)
    keys = sorted(per, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [
        (
            teleservice_name(key),
            ", ".join(
                nombre(per[key][action], *_ACTIONS.get(action, (action, action)))
                for action in [*_ACTIONS, *sorted(set(per[key]) - set(_ACTIONS))]
                if action in per[key]
            ),
        )
        for key in keys
    ]
