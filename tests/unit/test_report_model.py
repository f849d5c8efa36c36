"""The report is built once, stored as JSON and read back through its typed fields, unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from provisioner.domain.findings import FindingCode, Severity, error, warning
from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.report_json import report_json
from provisioner.reports.report_model import stored_report
from provisioner.service.submission.report import build_report
from provisioner.service.submission.values import stored_outcome
from provisioner.store.submissions import StoredSubmission


def test_a_stored_report_reads_back_into_the_same_findings_and_rapport_json(tmp_path: Path) -> None:
    findings = [error(FindingCode.LOGIN_TAKEN, "Le login « a.b » est déjà pris.", sheet="Compte Adhérent",
                      row=3, column="Login", cell="K3"),
                warning(FindingCode.UNKNOWN_COLUMN, "La colonne « X » est ignorée.", sheet="Sanctions", row=1)]
    report = build_report(submission_id="S1", file="bordereau.xlsx", sha256="0" * 64,
                          received_at=datetime(2026, 12, 7, 9, 30, tzinfo=UTC), adherent="123456",
                          raison_sociale="Atlas", request_type=RequestType.MISE_A_JOUR,
                          status=SubmissionStatus.REJECTED, findings=findings)
    stored = json.loads(json.dumps(report))  # as the submissions table keeps it
    row = StoredSubmission("S1", "0" * 64, "a.xlsx", datetime(2026, 12, 7, tzinfo=UTC), None, "123456",
                           RequestType.MISE_A_JOUR, SubmissionStatus.REJECTED, stored_report(stored), None, None)
    outcome = stored_outcome(tmp_path, row, None)  # the record as the store reads it back

    assert outcome.status == SubmissionStatus.REJECTED
    assert [(f.code, f.severity, f.cell) for f in outcome.findings] == [
        (FindingCode.LOGIN_TAKEN, Severity.ERROR, "K3"), (FindingCode.UNKNOWN_COLUMN, Severity.WARNING, None)]
    assert list(outcome.findings) == findings
    assert report_json(outcome.report) == report_json(report)
    assert json.loads(report_json(report))["errors"][0] == {
        "code": "LOGIN_TAKEN", "message": "Le login « a.b » est déjà pris.", "sheet": "Compte Adhérent",
        "row": 3, "column": "Login", "cell": "K3"}
