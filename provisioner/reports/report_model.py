"""rapport.json's content as one typed model: every surface reads a report through these fields.

TypedDicts rather than dataclasses because the report is JSON at rest (the
submissions table, rapport.json) and the dict is what is stored, compared
and written byte for byte; mypy checks every key a reader names. The service
builds it in one place (service.report.build_report); report_json fixes its
key order and closed lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict, cast

from provisioner.domain.diff import FieldChange


class FindingEntry(TypedDict):
    """A finding as the report holds it (domain.findings.Finding.to_dict)."""

    code: str
    message: str
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None


# One value that changes ({"column", "old", "new"}): the domain's (domain.diff), a secret column with
# its name only, never `old` or `new`.
FieldEntry = FieldChange


class ChangeEntry(TypedDict):
    action: str  # ChangeAction
    teleservice: str  # Teleservice
    login: str
    fields: list[FieldEntry]


class CompanyChangeEntry(TypedDict):
    kind: str  # RequestKind, a setting, or `subscription`
    summary: str
    status: str  # `applied`, or RequestStatus.WAITING
    fields: NotRequired[list[FieldEntry]]


class RequestEntry(TypedDict):
    id: int
    kind: str  # RequestKind
    summary: str


# `created`, `updated`, `disabled`, `enabled`, `reset_password`, `unchanged` (report_json.COUNT_KEYS):
# a plain mapping, as every surface sums and words them by key.
Counts = dict[str, int]


class Report(TypedDict):
    """rapport.json schema 1. `counts` is absent from a stored report that changed nothing
    (report_json computes it from `changes` when written)."""

    schema: int
    submission_id: str
    file: str
    sha256: str | None
    received_at: str | None
    adherent: str | None
    raison_sociale: str | None
    request_type: str | None  # RequestType
    status: str  # SubmissionStatus
    errors: list[FindingEntry]
    warnings: list[FindingEntry]
    changes: list[ChangeEntry]
    counts: NotRequired[Counts]
    company_changes: list[CompanyChangeEntry]
    requests: list[RequestEntry]
    held: bool
    duplicate_of: str | None
    batch: str | None


def stored_report(data: Mapping[str, object]) -> Report:
    """A report read back from the submissions table, where build_report's value was stored as JSON."""
    return cast(Report, dict(data))
