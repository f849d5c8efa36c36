"""The values a submission goes through: what came in, what the pipeline learnt of it, what came out.

All three are frozen: each step of the pipeline takes one and returns a new
one, so what apply and notices are handed cannot change under them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path

from provisioner.domain.findings import Finding, FindingCode, Severity, error
from provisioner.domain.plan_value import Plan
from provisioner.domain.sheets import Sheets
from provisioner.domain.view import StoreView
from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.reports.report_model import FindingEntry, Report
from provisioner.service.intake.drop import Origin
from provisioner.service.intake.faults import Fault
from provisioner.store.adherents import Adherent
from provisioner.store.submissions import StoredSubmission
from provisioner.workbook.model import ParsedWorkbook
from provisioner.workbook.planner_input import planner_input


@dataclass(frozen=True)
class Submission:
    """One file as it came in, once read and checked (no store consulted yet)."""

    path: Path
    name: str  # as shown to people (escaped)
    sha: str
    received_at: datetime
    batch: str | None
    parsed: ParsedWorkbook | None
    findings: tuple[Finding, ...]  # the check's errors and warnings
    id: str
    request_type: str | None
    numero: str
    origin: Origin | None = None  # the door it came through, recorded with its submission

    @cached_property
    def sheets(self) -> Sheets:
        """The workbook as the planner reads it: converted once, though it may be planned twice (before
        the hashing, then again inside the write transaction if the store moved meanwhile)."""
        assert self.parsed is not None
        return planner_input(self.parsed)


@dataclass(frozen=True)
class Judgement:
    """What the pipeline learnt of a submission against the store: its sender, its plan, its findings."""

    submission: Submission
    findings: tuple[Finding, ...]
    company: Adherent | None = None  # the adherents row, once looked up
    authenticated: bool = False
    just_locked: bool = False  # this very submission locked the company
    plan: Plan | None = None
    view: StoreView | None = None  # what the store held when `plan` was made

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    def with_error(self, code: FindingCode, message: str, **where: object) -> Judgement:
        return replace(self, findings=(*self.findings, error(code, message, **where)))


@dataclass(frozen=True)
class Outcome:
    """What a submission came to: its report, where its outputs go, and whether they are still owed."""

    submission_id: str
    status: SubmissionStatus  # ACCEPTED, REJECTED or DUPLICATE
    report: Report
    folder: Path
    parsed: ParsedWorkbook | None = None
    findings: tuple[Finding, ...] = ()  # errors and warnings, for the annotated copy
    pending: Fault | None = None  # committed, but its outputs could not be written: owed

    @property
    def ok(self) -> bool:
        return self.status in (SubmissionStatus.ACCEPTED, SubmissionStatus.DUPLICATE)


def stored_outcome(outbox: Path, row: StoredSubmission, parsed: ParsedWorkbook | None) -> Outcome:
    """The outcome of a committed submission, from its stored report and the workbook read again."""
    report = row.committed_report()
    findings = [_finding(f) for f in report["errors"]]
    findings += [_finding(f, Severity.WARNING) for f in report["warnings"]]
    return Outcome(row.id, SubmissionStatus(report["status"]), report, outbox / row.id, parsed, tuple(findings))


def _finding(entry: FindingEntry, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(FindingCode(entry["code"]), entry["message"], entry["sheet"], entry["row"], entry["column"],
                   entry["cell"], severity)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
