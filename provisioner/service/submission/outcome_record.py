"""The end of a judgement inside its transaction: the report built, the submission recorded (keyed by the
file's SHA-256), the emails queued. The outputs are written by the pipeline once the transaction commits."""

from __future__ import annotations

from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.report_model import CompanyChangeEntry
from provisioner.service.context import ServiceContext
from provisioner.service.submission import notices
from provisioner.service.submission.apply import Applied, request_line, settings_changes
from provisioner.service.submission.report import build_report
from provisioner.service.submission.values import Judgement, Outcome
from provisioner.store.repositories import Repositories


def record_outcome(ctx: ServiceContext, uow: Repositories, judged: Judgement,
                   applied: Applied | None = None) -> Outcome:
    """The report of a judgement, its submission row and its emails, in the caller's transaction."""
    submission = judged.submission
    applied = applied or Applied()
    status = SubmissionStatus.REJECTED if judged.has_errors else SubmissionStatus.ACCEPTED
    report = build_report(
        submission_id=submission.id, file=submission.name, sha256=submission.sha,
        received_at=submission.received_at, adherent=submission.numero or None,
        raison_sociale=_raison_sociale(judged), request_type=submission.request_type, status=status,
        findings=list(judged.findings), plan=judged.plan if status == SubmissionStatus.ACCEPTED else None,
        company_changes=applied.get("company_changes") or _would_company_changes(judged),
        requests=applied.get("requests"), batch=submission.batch)
    db_status = SubmissionStatus.HELD if report["held"] else status
    uow.submissions.add(id=submission.id, sha256=submission.sha, file_name=submission.name,
                        received_at=submission.received_at, adherent_numero=submission.numero[:10] or None,
                        request_type=submission.request_type, status=db_status, report=report,
                        batch_id=submission.batch)
    if submission.origin is not None:
        uow.submissions.add_origin(submission.id, submission.origin.door, submission.origin.reference,
                                   submission.received_at)
    folder = ctx.outbox / submission.id
    notices.queue_outcome(uow, judged, report, folder)
    # The outputs are written by process_file once this transaction has committed.
    return Outcome(submission.id, status, report, folder, submission.parsed, judged.findings)


def _raison_sociale(judged: Judgement) -> str | None:
    submission = judged.submission
    if judged.company is not None and judged.authenticated:
        raison_sociale: str | None = judged.company.raison_sociale
        return raison_sociale
    if submission.parsed is not None and submission.request_type == RequestType.ABONNEMENT:
        return submission.parsed.adherent.value("raison_sociale") or None
    return None


def _would_company_changes(judged: Judgement) -> list[CompanyChangeEntry]:
    plan = judged.plan
    if plan is None or judged.submission.request_type != RequestType.CONTROLE or judged.has_errors:
        return []
    would = [request_line(r) for r in plan.requests]
    would += settings_changes(plan, applied=False)  # shown as "would be applied"
    return would
