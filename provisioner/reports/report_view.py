"""What rapport.html.j2 is given: report_html.build_view's values, typed so the template's names are checked.

Plain strings, numbers, flags and lists: the template formats nothing.
"""

from __future__ import annotations

from typing import TypedDict


class FieldRow(TypedDict):
    """One value that changes, as a row of the before → after table."""

    column: str
    old: str
    new: str


class ChangeRow(TypedDict):
    action: str
    login: str
    fields: list[FieldRow]


class ChangeGroup(TypedDict):
    """The changes of one téléservice."""

    name: str
    rows: list[ChangeRow]


class CompanyChangeRow(TypedDict):
    label: str
    summary: str
    fields: list[FieldRow]
    state: str
    waiting: bool


class RequestRow(TypedDict):
    id: int
    kind: str
    label: str
    summary: str


class FindingRow(TypedDict):
    sheet: str
    place: str
    column: str | None
    message: str
    code: str


class ReportView(TypedDict):
    outcome: str
    tone: str
    status: str
    request_type: str | None
    controle: bool
    held: bool
    submission_id: str
    file: str
    received: str
    adherent: str | None
    raison_sociale: str | None
    request_type_label: str | None
    sha256: str | None
    batch: str | None
    duplicate_of: str | None
    changes_heading: str
    groups: list[ChangeGroup]
    creates_or_resets: bool
    company_changes: list[CompanyChangeRow]
    requests: list[RequestRow]
    errors: list[FindingRow]
    warnings: list[FindingRow]
    links: dict[str, str | None]  # every role of report_html.DEFAULT_LINKS, None when its file is absent
    address: tuple[str, ...]
    address_line: str
