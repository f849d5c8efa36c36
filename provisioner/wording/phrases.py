"""Words put together: plurals, counts, where a finding is, a company as people name it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from provisioner.domain.vocabulary import ChangeAction
from provisioner.wording.dates import NBSP
from provisioner.wording.labels import ACTION, COUNT, COUNT_NOUN, OWN_NOUN, in_workbook_order, teleservice_name


def nombre(count: int | None, singular: str, plural: str) -> str:
    """`1 erreur`, `3 erreurs`: French takes the singular for 0 and 1."""
    n = count or 0
    return f"{n} {singular if n <= 1 else plural}"


def counts_summary(counts: Mapping[str, int] | None, *, skip_zero: bool = True) -> list[str]:
    """`["2 comptes créés", "1 compte modifié"]` from rapport.json's `counts`, each with its noun."""
    counts = counts or {}
    return [
        _count(counts.get(key) or 0, key, noun=True)
        for key in COUNT
        if not skip_zero or counts.get(key)
    ]


def counts_sentence(counts: Mapping[str, int] | None, *, unchanged: bool = False) -> str:
    """`3 comptes créés, 1 modifié, 2 mots de passe réinitialisés`: the first count carries the noun.

    '' when nothing changed; the accounts left unchanged are said only when `unchanged`.
    """
    counts = counts or {}
    parts: list[str] = []
    for key in COUNT:
        n = int(counts.get(key) or 0)
        if n and (unchanged or key != ChangeAction.UNCHANGED):
            parts.append(_count(n, key, noun=not parts))
    return ", ".join(parts)


def held_sentence(counts: Mapping[str, int] | None) -> str:
    """What a workbook held for approval (a mass deactivation) would change: nothing is applied yet."""
    sentence = counts_sentence(counts)
    pending = "rien n'est encore appliqué"
    return f"{sentence} à l'approbation de la demande ; {pending}" if sentence else pending.capitalize()


def _count(n: int, key: str, *, noun: bool) -> str:
    word = COUNT[key][0 if n <= 1 else 1]
    if noun and key not in OWN_NOUN:
        word = f"{COUNT_NOUN[0 if n <= 1 else 1]} {word}"
    return f"{n} {word}"


def by_teleservice(changes: Iterable[Mapping[str, object]] | None) -> list[tuple[str, str]]:
    """`[(name, "2 créations, 1 modification"), ...]` in the order of the téléservices."""
    per: dict[str, dict[str, int]] = {}
    for change in changes or ():
        actions = per.setdefault(str(change.get("teleservice") or ""), {})
        action = str(change.get("action") or "")
        actions[action] = actions.get(action, 0) + 1
    return [
        (
            teleservice_name(key),
            ", ".join(
                nombre(per[key][action], *ACTION.get(action, (action, action)))
                for action in [*ACTION, *sorted(set(per[key]) - set(ACTION))]
                if action in per[key]
            ),
        )
        for key in in_workbook_order(per)
    ]


def place(finding: Mapping[str, object]) -> str:
    """Where a finding applies, as a person would say it; `ensemble du fichier` when it names nothing."""
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


def adherent_label(value: Mapping[str, object] | str | None) -> str:
    """`123456 (Raison sociale)` from a dict with `numero`/`raison_sociale`, or the number alone."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        numero = str(value.get("numero") or "")
        name = value.get("raison_sociale")
        return f"{numero} ({name})" if name and numero else numero or str(name or "")
    return str(value)


def adherent_numero(value: Mapping[str, object] | str | None) -> str:
    """The member number alone, from a dict with `numero` or the number itself."""
    if isinstance(value, Mapping):
        return str(value.get("numero") or "")
    return "" if value is None else str(value)


def waiting_for_smtp(count: int) -> str:
    """Emails carrying a password with no SMTP host set: they are never written as `.eml` files."""
    return (f"{nombre(count, 'email portant un mot de passe attend', 'emails portant un mot de passe attendent')}"
            " un serveur SMTP (réglez PROVISIONER_SMTP_HOST) ; ils restent chiffrés jusque-là")
