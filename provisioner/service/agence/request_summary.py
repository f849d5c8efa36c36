"""How a request waiting for a signed letter reads, for the Agence Virtuelle and the delegate.

Used by the read side (lists, the dashboard, the web) and by the decisions
(the email that tells the outcome): one sentence per request, and its
payload as it may be shown (a held plan carries hashes: only its changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

from provisioner.domain.request_payload import RequestPayload
from provisioner.domain.vocabulary import RequestKind
from provisioner.service.submission.held_plan import held_changes
from provisioner.wording import agence
from provisioner.workbook import layout


class HeldLine(TypedDict):
    """A held change as it may be shown: which account, and what would happen to it."""

    action: str
    teleservice: str
    login: str


class PublicPayload(TypedDict, total=False):
    """A request's payload without its held plan (it carries hashes): a mass deactivation's `changes`
    are then the plan's accounts; a change of details keeps its fields (field key → text)."""

    changes: dict[str, str] | list[HeldLine]
    before: dict[str, str]
    disable: int
    active: int


def public_payload(payload: RequestPayload) -> PublicPayload:
    """A request's payload as it may be shown: a held plan (it carries hashes) becomes its list of changes."""
    shown: PublicPayload = {}
    if "changes" in payload:
        shown["changes"] = payload["changes"]
    if "before" in payload:
        shown["before"] = payload["before"]
    if "disable" in payload:
        shown["disable"] = payload["disable"]
    if "active" in payload:
        shown["active"] = payload["active"]
    if "plan" in payload:
        shown["changes"] = [{"action": c["action"], "teleservice": c["teleservice"], "login": c["login"]}
                            for c in held_changes(payload)]
    return shown


def request_summary(kind: str, payload: RequestPayload | PublicPayload,
                    skipped: Sequence[Mapping[str, object]] = ()) -> str:
    """One French sentence on what the request asks (and, once approved, what could not be done: `skipped`)."""
    if kind == RequestKind.MASS_DISABLE:
        text = agence.mass_disable_summary(payload.get("disable", "?"), payload.get("active", "?"))
        if skipped:
            text += agence.not_applied(str(s["login"]) for s in skipped)
        return text
    fields = layout.DELEGUE_FIELDS if kind == RequestKind.DELEGUE_CHANGE else layout.ADHERENT_FIELDS
    labels = {f.key: f.label for f in fields}
    asked = payload.get("changes")
    changed = ", ".join(labels.get(k) or k for k in (asked if isinstance(asked, dict) else {}))
    title = agence.DELEGATE if kind == RequestKind.DELEGUE_CHANGE else agence.COMPANY_DETAILS
    return agence.details_summary(title, changed)
