"""What the store names in machine words, as people read it: the workbook's labels, in the form's order.

The audit names its actors and targets as `submission:S…`, `operator:amina`,
`td_interne:amina.td`, a request's changes by field key: here each becomes
the French words of the workbook or of the vocabulary, with the page it
leads to when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import quote

from provisioner.domain.vocabulary import teleservice_of
from provisioner.service.agence.operator_commands import ACTOR
from provisioner.service.agence.operators import SIGN_IN_ACTOR
from provisioner.wording.labels import teleservice_name
from provisioner.workbook import layout

# The head of the company is on the Adhérent sheet too: shown apart from the company's own facts.
HEAD_KEYS = ("civilite", "nom", "prenom", "fonction")
NOT_SHOWN = frozenset({"version", "type_demande", "numero"})  # the workbook's own, not the company's
COMPANY_FIELDS = tuple((f.key, f.label) for f in layout.ADHERENT_FIELDS
                       if f.key not in NOT_SHOWN and f.key not in HEAD_KEYS)
HEAD_FIELDS = tuple((f.key, f.label) for f in layout.ADHERENT_FIELDS if f.key in HEAD_KEYS)
DELEGUE_FIELDS = tuple((f.key, f.label) for f in layout.DELEGUE_FIELDS if f.kind != layout.Kind.PASSWORD)
# A request's changes, by its kind: the sheet they come from.
REQUEST_FIELDS = {"company_change": COMPANY_FIELDS + HEAD_FIELDS, "delegue_change": DELEGUE_FIELDS}
ACTORS = {ACTOR: "Agence Virtuelle (ligne de commande)", SIGN_IN_ACTOR: "connexion au back office"}


class Named(NamedTuple):
    text: str
    href: str = ""


def fields_in_order(fields: tuple[tuple[str, str], ...], values: Mapping[str, object]) -> list[tuple[str, object]]:
    """(label, value) of each field that has a value, in the form's order."""
    return [(text, values[key]) for key, text in fields if values.get(key) not in (None, "")]


def request_changes(kind: str, payload: Mapping[str, object]) -> list[tuple[str, object, object]]:
    """(label, current, asked) of each field a request changes, in the form's order; unknown keys last."""
    given, was = payload.get("changes"), payload.get("before")
    changes: dict[str, object] = dict(given) if isinstance(given, Mapping) else {}
    before: Mapping[str, object] = was if isinstance(was, Mapping) else {}
    known: tuple[tuple[str, str], ...] = REQUEST_FIELDS.get(kind, ())
    order = [key for key, _ in known if key in changes] + sorted(set(changes) - {key for key, _ in known})
    labels: dict[str, str] = dict(known)
    return [(labels.get(key, key), before.get(key), changes[key]) for key in order]


def actor(name: str | None) -> Named:
    """Who did it: an operator by login, a submission by its number, the command line, the sign-in."""
    if not name:
        return Named("")
    kind, _, rest = name.partition(":")
    if kind == "submission" and rest:
        return Named(f"soumission {rest}", f"/soumissions/{quote(rest)}")
    return Named(ACTORS.get(name, name))


def target(value: str | None) -> Named:
    """What it was done to: a company, an account, an operator, a request, an email."""
    if not value:
        return Named("")
    if value.isdigit():
        return Named(f"adhérent {value}", f"/adherents/{value}")
    kind, _, rest = value.partition(":")
    if kind == "operator":
        return Named(f"opérateur {rest}", "/operateurs")
    if kind == "request":
        return Named(f"demande n° {rest}", "/demandes")
    if kind == "mail":
        return Named(f"email n° {rest}", "/courriels")
    if kind == "submission":
        return Named(f"soumission {rest}", f"/soumissions/{quote(rest)}")
    if teleservice_of(kind) is not None and rest:
        return Named(f"compte {rest} ({teleservice_name(kind)})", f"/comptes/{quote(rest)}")
    return Named(value)
