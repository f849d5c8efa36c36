"""The same bytes again: a duplicate, reported as such, that changes nothing (told to the delegate on record
unless the first one was rejected)."""

from __future__ import annotations

import logging
from datetime import datetime

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import warning
from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.service.context import ServiceContext
from provisioner.service.intake.drop import Origin
from provisioner.service.submission import notices
from provisioner.service.submission.outputs import write_outputs
from provisioner.service.submission.report import build_report, new_submission_id
from provisioner.service.submission.values import Outcome
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.submissions import StoredSubmission
from provisioner.wording import dates
from provisioner.wording import submission as submission_text

log = logging.getLogger(__name__)


def duplicate(ctx: ServiceContext, name: str, sha: str, now: datetime, prior: StoredSubmission, batch: str | None,
               origin: Origin | None) -> Outcome:
    submission_id = new_submission_id(now)
    when = dates.french(prior.received_at) or "?"
    # Not the file's fault: said as a warning, and the file's own findings are not repeated.
    notice = warning(FindingCode.DUPLICATE, submission_text.already_received(when, prior.id))
    report = build_report(submission_id=submission_id, file=name, sha256=sha, received_at=now,
                          adherent=prior.adherent_numero, raison_sociale=None,
                          request_type=prior.request_type, status=SubmissionStatus.DUPLICATE, findings=[notice],
                          duplicate_of=prior.id, batch=batch)
    outcome = Outcome(submission_id, SubmissionStatus.DUPLICATE, report, ctx.outbox / submission_id)
    write_outputs(ctx, outcome)
    with UnitOfWork(ctx) as uow:
        notices.queue_duplicate(uow, ctx, report, prior)
        if origin is not None:
            uow.submissions.add_origin(submission_id, origin.door, origin.reference, now)
        uow.commit()
    log.info("submission id=%s duplicate_of=%s", submission_id, prior.id)
    return outcome
