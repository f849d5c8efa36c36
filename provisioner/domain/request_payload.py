"""What a request waiting for a signed letter keeps (the `requests.payload` column), as its writers build it.

A change of the company's or the delegate's details (domain.company_requests) keeps the fields asked for
and their values then; a mass deactivation keeps its counts, and the service adds the whole workbook it
holds (service.submission.held_plan.serialize_plan: each change with its hashes, never a secret in clear).
"""

from __future__ import annotations

from typing import TypedDict

from provisioner.domain.diff import FieldChange


class HeldChange(TypedDict):
    """A held change as it waits in the request's payload (`plan.changes`): never a secret in clear."""

    action: str
    teleservice: str
    login: str
    sheet: str
    row: int
    values: dict[str, str]
    ordonnateur: bool | None
    validateur: bool | None
    generate_password: bool
    questions: list[str] | None
    categories: list[str] | None
    before: None  # looked up again on approval
    fields: list[FieldChange]
    hashes: dict[str, str | None]  # the hash columns it writes
    generated: bool  # its password was generated: its user gets a new one on approval


class HeldPlan(TypedDict):
    """The request payload's `plan`: the changes, and the company settings asked for with them."""

    changes: list[HeldChange]
    confirmations: int | None
    admin_password_hash: str | None


class RequestPayload(TypedDict, total=False):
    """A change of details has `changes` and `before` (field key → text); a mass deactivation `disable`
    and `active` (counts) and, once the service holds the workbook, `plan`."""

    changes: dict[str, str]
    before: dict[str, str]
    disable: int
    active: int
    plan: HeldPlan
