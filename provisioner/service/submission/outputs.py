"""What a submission leaves in the outbox: rapport.json, rapport.html, and the annotated copy
(rejected) or the formulaire d'abonnement (accepted Abonnement). Every file is written to a
temporary name then renamed, so a reader of the outbox never sees half a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.report_html import write_report_html
from provisioner.reports.report_json import write_report_json

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext
    from provisioner.service.submission.values import Outcome

ANNOTATED = "bordereau-annote.xlsx"
SUBSCRIPTION_FORM = "formulaire-abonnement.pdf"


def write_outputs(ctx: ServiceContext, outcome: Outcome) -> None:
    folder = outcome.folder
    folder.mkdir(parents=True, exist_ok=True)
    # A crash between a temporary file and its rename leaves it behind; the folder is this
    # submission's alone (its file is claimed by one instance), so clear it before rewriting.
    for leftover in folder.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    report = outcome.report
    if report["status"] == SubmissionStatus.REJECTED and outcome.parsed is not None:
        # A file that could not be read (.xls, .ods, damaged) has no cell to mark: no copy of it.
        from provisioner.workbook.rebuild import write_copy  # lazy: xlsxwriter, for a rejection only

        write_copy(outcome.parsed, outcome.findings, annotate=True, path=folder / ANNOTATED)
    if (report["status"] == SubmissionStatus.ACCEPTED and report["request_type"] == RequestType.ABONNEMENT
            and outcome.parsed):
        from provisioner.reports.subscription_form import write_subscription_form  # lazy: fpdf, for an Abonnement

        write_subscription_form(subscription_data(outcome), folder / SUBSCRIPTION_FORM)
    write_report_json(report, folder)
    write_report_html(report, folder)


def subscription_data(outcome: Outcome) -> dict[str, object]:
    """The form's content: what the workbook said of the company and its delegate, never a password."""
    assert outcome.parsed is not None
    return {
        "numero": outcome.report["adherent"], "raison_sociale": outcome.report["raison_sociale"] or "",
        "submission_id": outcome.submission_id, "date": outcome.report["received_at"],
        # raison_sociale is shown on its own line, not among the company's details.
        "company": {k: v for k, v in outcome.parsed.company_details().items() if k != "raison_sociale"},
        "delegue": outcome.parsed.delegue_details(),
    }
