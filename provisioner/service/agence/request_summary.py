"""How a request waiting for a signed letter reads, for the Agence Virtuelle and the delegate.

Used by the read side (lists, the dashboard, the web) and by the decisions
(the email that tells the outcome): one sentence per request, and its
payload as it may be shown (a held plan carries hashes: only its changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.domain.vocabulary import RequestKind
from provisioner.service.submission.held_plan import held_changes
from provisioner.wording import agence
from provisioner.workbook import layout


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A request's payload as it may be shown: a held plan (it carries hashes) becomes its list of changes."""
    shown = {k: v for k, v in payload.items() if k != "plan"}
    if "plan" in payload:
        shown["changes"] = [{"action": c.get("action"), "teleservice": c.get("teleservice"),
                             "login": c.get("login")} for c in held_changes(payload)]
    return shown


def request_summary(kind: str, payload: dict[str, Any], skipped: Sequence[Mapping[str, object]] = ()) -> str:
    """One French sentence on what the request asks (and, once approved, what could not be done: `skipped`)."""
    if kind == RequestKind.MASS_DISABLE:
        text = agence.mass_disable_summary(payload.get("disable", "?"), payload.get("active", "?"))
        if skipped:
            text += agence.not_applied(str(s["login"]) for s in skipped)
        return text
    fields = layout.DELEGUE_FIELDS if kind == RequestKind.DELEGUE_CHANGE else layout.ADHERENT_FIELDS
    labels = {f.key: f.label for f in fields}
    changed = ", ".join(labels.get(k) or k for k in dict(payload.get("changes") or {}))
    title = agence.DELEGATE if kind == RequestKind.DELEGUE_CHANGE else agence.COMPANY_DETAILS
    return agence.details_summary(title, changed)
