"""What index.html.j2 (and the web's `/`) is given: reports.dashboard.build_view's values, typed.

Plain strings, numbers and flags; dates already written as people read them.
"""

from __future__ import annotations

from typing import TypedDict


class Tile(TypedDict):
    label: str
    value: int
    detail: str
    tone: str  # CSS class
    anchor: str  # the section it links to, '' for none


class SubscriptionLine(TypedDict):
    numero: str
    name: str
    since: str
    age: str
    overdue: bool


class RequestLine(TypedDict):
    id: int
    numero: str
    name: str
    kind: str
    summary: str
    since: str
    age: str
    report: str | None  # link to the submission's report in the outbox


class LockedLine(TypedDict):
    numero: str
    name: str
    failures: int
    until: str


class MailLine(TypedDict):
    created: str
    recipients: str
    subject: str
    status: str
    tone: str
    attempts: int
    next: str
    error: str


class UnfinishedLine(TypedDict):
    id: str
    file: str
    adherent: str
    received: str


class Link(TypedDict):
    label: str
    href: str


class SubmissionLine(TypedDict):
    id: str
    received: str
    file: str
    file_full: str
    numero: str
    name: str
    type: str
    status: str
    tone: str
    changed: str
    errors: int
    warnings: int
    links: list[Link]


class Bar(TypedDict):
    code: str
    label: str
    files: int
    occurrences: int
    text_y: int
    bar_y: int
    width: int
    count_x: int
    count: str


class Chart(TypedDict):
    bars: list[Bar]
    width: int
    height: int
    bar_height: int


class ListCounts(TypedDict):
    subscriptions: int
    requests: int
    locked: int


class MailCounts(TypedDict):
    pending: int
    failed: int


class DashboardView(TypedDict):
    generated: str
    refresh: int
    overdue_text: str
    tiles: list[Tile]
    subscriptions: list[SubscriptionLine]
    requests: list[RequestLine]
    locked: list[LockedLine]
    counts: ListCounts
    mails: list[MailLine]
    mail_counts: MailCounts
    waiting_for_smtp: str
    mails_cut: bool
    unfinished: list[UnfinishedLine]
    chart: Chart
    error_days: int
    recent: list[SubmissionLine]
    recent_limit: int
