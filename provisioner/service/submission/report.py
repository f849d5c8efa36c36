"""The rapport.json of a submission, built here and only here (spec.md, "What it gives back")."""

from __future__ import annotations

import secrets
from datetime import datetime

from provisioner.domain.findings import Finding
from provisioner.domain.plan_value import Plan, UserChange
from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.report_json import SCHEMA
from provisioner.reports.report_model import (
    ChangeEntry,
    CompanyChangeEntry,
    FindingEntry,
    Report,
    RequestEntry,
)
from provisioner.workbook.findings import split


def new_submission_id(now: datetime) -> str:
    """Short, sortable by time, unguessable enough to name a folder: S20261126T185500-1a2b3c4d."""
    return f"S{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def build_report(*, submission_id: str, file: str, sha256: str, received_at: datetime,
                 adherent: str | None, raison_sociale: str | None, request_type: str | None,
                 status: str, findings: list[Finding], plan: Plan | None = None,
                 company_changes: list[CompanyChangeEntry] | None = None,
                 requests: list[RequestEntry] | None = None, duplicate_of: str | None = None,
                 batch: str | None = None) -> Report:
    errors, warnings = split(findings)
    changes = [change_entry(c) for c in plan.effective] \
        if plan is not None and status != SubmissionStatus.REJECTED else []
    counts = plan.counts() if plan is not None and status != SubmissionStatus.REJECTED else None
    report: Report = {
        "schema": SCHEMA, "submission_id": submission_id, "file": file, "sha256": sha256,
        "received_at": received_at.isoformat(timespec="seconds"), "adherent": adherent or None,
        "raison_sociale": raison_sociale or None, "request_type": request_type, "status": status,
        "errors": [finding_entry(f) for f in errors], "warnings": [finding_entry(f) for f in warnings],
        "changes": changes, "company_changes": company_changes or [], "requests": requests or [],
        # A Contrôle seul applies nothing and asks nothing of the Agence Virtuelle: never held.
        "held": bool(plan and plan.held and status == SubmissionStatus.ACCEPTED
                     and request_type != RequestType.CONTROLE),
        "duplicate_of": duplicate_of,
        "batch": batch,
    }
    if counts is not None:
        report["counts"] = counts
    return report


def finding_entry(finding: Finding) -> FindingEntry:
    return {"code": finding.code, "message": finding.message, "sheet": finding.sheet, "row": finding.row,
            "column": finding.column, "cell": finding.cell}


def change_entry(change: UserChange) -> ChangeEntry:
    return {"action": change.action, "teleservice": change.teleservice, "login": change.login,
            "fields": change.fields}
