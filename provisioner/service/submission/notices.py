"""Which emails a submission queues, and to whom (in the submission's transaction).

Recipients follow the spec and security.md: the delegate on record (the
workbook's delegate for an Abonnement) and the `Email de notification`; an
unauthenticated workbook's addresses get nothing but the outcome of an
Abonnement; a lock is told to the delegate on record, never to an address
taken from the workbook. A generated password goes to its user only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from provisioner.domain.plan_value import UserChange
from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.mail.queue import enqueue
from provisioner.reports.report_model import Report, RequestEntry
from provisioner.service.context import ServiceContext
from provisioner.service.submission.outputs import ANNOTATED, SUBSCRIPTION_FORM
from provisioner.service.submission.values import Judgement
from provisioner.store.adherents import Adherent
from provisioner.store.repositories import Repositories
from provisioner.store.submissions import StoredSubmission


def delegate_email(company: Adherent) -> str | None:
    """The delegate on record's address (an adherents row): where a company's own news goes."""
    return (company.delegue or {}).get("email") or None


def delegate_name(company: Adherent) -> dict[str, str | None]:
    delegue = dict(company.delegue or {})
    return {k: delegue.get(k) or None for k in ("civilite", "nom", "prenom")}


def adherent_ref(company: Adherent) -> dict[str, str | None]:
    """How an email names the company (an adherents row)."""
    return {"numero": company.numero, "raison_sociale": company.raison_sociale}


def _recipients_of(judged: Judgement) -> list[str]:
    submission, company = judged.submission, judged.company
    parsed = submission.parsed
    if parsed is None:
        return []
    extra = parsed.adherent.value("email_notification")
    if submission.request_type == RequestType.ABONNEMENT:
        return [a for a in (parsed.delegue.value("email"), extra) if a]
    if judged.authenticated and company is not None:
        return [a for a in (delegate_email(company), extra or company.notification_email) if a]
    return []


def queue_outcome(uow: Repositories, judged: Judgement, report: Report, folder: Path) -> None:
    """The emails a submission's outcome sends; `folder` is where its outputs will be (the attachments)."""
    submission = judged.submission
    if judged.just_locked and judged.company is not None:
        queue_locked(uow, judged.company, submission.received_at, submission_id=submission.id)
    recipients = _recipients_of(judged)
    if not recipients:
        return
    attachments: list[str] = []
    context: dict[str, object] = {"report": report}
    # outputs.write_outputs makes an annotated copy of a rejected workbook that could be read.
    annotated = report["status"] == SubmissionStatus.REJECTED and submission.parsed is not None
    if submission.request_type == RequestType.CONTROLE:
        kind = "controle"
        context["annotated"] = annotated
    elif report["status"] == SubmissionStatus.REJECTED:
        kind = "rejected"
        context["annotated"] = annotated
    elif submission.request_type == RequestType.ABONNEMENT:
        kind = "subscription_received"
        attachments.append(str(folder / SUBSCRIPTION_FORM))
        context = {"adherent": _adherent(report), "submission_id": submission.id,
                   "users_waiting": len(report["changes"])}
    else:
        kind = "accepted"
    if context.get("annotated"):
        attachments.append(str(folder / ANNOTATED))
    enqueue(uow.mails, kind=kind, recipients=recipients, context=context, attachments=attachments,
            submission_id=submission.id, now=submission.received_at)


def _adherent(report: Report) -> dict[str, str | None]:
    return {"numero": report["adherent"], "raison_sociale": report["raison_sociale"]}


def queue_duplicate(uow: Repositories, ctx: ServiceContext, report: Report, prior: StoredSubmission) -> None:
    company = uow.adherents.get(prior.adherent_numero) if prior.adherent_numero else None
    on_record = delegate_email(company) if company is not None else None
    if on_record and (prior.report is None or prior.report.get("status") != SubmissionStatus.REJECTED):
        enqueue(uow.mails, kind="duplicate", recipients=[on_record],
                context={"report": report, "first_processed_at": prior.received_at,
                         "first_submission_id": prior.id},
                submission_id=report["submission_id"], now=ctx.clock())


def queue_locked(uow: Repositories, company: Adherent, now: datetime, *, submission_id: str | None) -> None:
    on_record = delegate_email(company)
    if on_record:
        enqueue(uow.mails, kind="company_locked", recipients=[on_record],
                context={"adherent": adherent_ref(company),
                         "locked_until": company.locked_until, "failures": company.failed_auth},
                submission_id=submission_id, now=now)


def queue_generated_password(uow: Repositories, change: UserChange, password: str, *,
                             adherent: Mapping[str, str | None],
                             submission_id: str | None, now: datetime) -> None:
    """The generated password goes to that user's own address, and nowhere else."""
    known = change.before.fields if change.before else {}
    email = change.values.get("email") or known.get("email", "")
    if email:
        person = {k: change.values.get(k) or known.get(k) or None for k in ("civilite", "prenom", "nom")}
        enqueue(uow.mails, kind="generated_password", recipients=[email],
                context={"user": {**person, "login": change.login, "teleservice": change.teleservice},
                         "action": change.action, "password": password, "adherent": adherent},
                submission_id=submission_id, now=now)


def queue_request_waiting(uow: Repositories, judged: Judgement, requests: list[RequestEntry]) -> None:
    submission, company = judged.submission, judged.company
    recipients = _recipients_of(judged)
    adherent = {"numero": submission.numero, "raison_sociale": company.raison_sociale if company else None}
    for request in requests if recipients else ():
        enqueue(uow.mails, kind="request_waiting", recipients=recipients,
                context={"adherent": adherent, "request": request, "submission_id": submission.id},
                submission_id=submission.id, now=submission.received_at)
