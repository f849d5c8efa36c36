"""One submitted file, from its bytes to its report: check → authenticate → plan → hash → apply.

Whole or nothing: the account changes, the submission record (keyed by the
file's SHA-256) and the emails to send commit in ONE transaction. The slow
part, hashing, runs between a short planning transaction and the write
transaction, which plans again against the store of that moment (another
workbook may have taken a login meanwhile). Outputs are written after the
commit and the submission is marked finished. When they cannot be written
(the outbox read-only or full, the database gone before `finished_at` is
set), the workbook stays applied and its outputs are owed: the outcome says
so (`pending`), and the service writes them later from the stored report
(`service.owed`). A crash in between is finished the same way, or when the
same bytes come again (`finish.resume`).

Who sends the workbook is `service.authentication`; the report, the
submission row and the emails of a judgement are `service.outcome_record`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import exc

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error
from provisioner.domain.plan import make_plan
from provisioner.domain.plan_value import Plan
from provisioner.domain.vocabulary import AdherentStatus, RequestType
from provisioner.service.context import ServiceContext
from provisioner.service.intake import faults
from provisioner.service.intake.drop import Origin
from provisioner.service.intake.names import display_name
from provisioner.service.submission import apply
from provisioner.service.submission.authentication import authenticate
from provisioner.service.submission.duplicate import duplicate
from provisioner.service.submission.finish import finish_or_owe, resume
from provisioner.service.submission.outcome_record import record_outcome
from provisioner.service.submission.plan_hashes import Hashes, hash_plan
from provisioner.service.submission.report import new_submission_id
from provisioner.service.submission.values import Judgement, Outcome, Submission, sha256_file
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.repositories import Repositories
from provisioner.store.submissions import StoredSubmission
from provisioner.wording import submission as submission_text
from provisioner.workbook.checker import check_file
from provisioner.workbook.model import ParsedWorkbook

log = logging.getLogger(__name__)


def process_file(ctx: ServiceContext, path: Path, *, name: str | None = None, batch: str | None = None,
                 origin: Origin | None = None) -> Outcome:
    """Run the whole pipeline on one file; never raises for a bad file. `origin`: the door it came through,
    recorded with the submission (or its duplicate) in the same transaction."""
    started = time.monotonic()
    name = display_name(name or path.name)
    now = ctx.clock()
    sha = sha256_file(path)
    prior = _prior(ctx, sha)
    if prior is not None:
        if prior.finished_at is None and prior.report is not None:
            return resume(ctx, path, prior)
        return duplicate(ctx, name, sha, now, prior, batch, origin)
    result = check_file(path, name=name, max_bytes=ctx.max_bytes,
                        max_abonnement_users=ctx.settings.abonnement_max_users)
    submission = _submission(path, name, sha, now, batch, result.workbook, (*result.errors, *result.warnings),
                             origin)
    try:
        outcome = _execute(ctx, submission)
    except exc.IntegrityError:
        # The same bytes, handled at the same moment by another lane or instance, committed
        # first (submissions.sha256 is unique): this one is its duplicate, and changed nothing.
        prior = _prior(ctx, sha)
        if prior is None:
            raise
        _fence(path)  # unless the other one is this very file, adopted from us meanwhile
        return duplicate(ctx, name, sha, now, prior, batch, origin)
    outcome = finish_or_owe(ctx, outcome)
    _log(outcome, time.monotonic() - started)
    return outcome


def reject_unread(ctx: ServiceContext, path: Path, *, name: str, message: str,
                  origin: Origin | None = None) -> Outcome:
    """A rejection as FILE_UNREADABLE without reading the file (the loop's safety cap), with its report."""
    sha = sha256_file(path)
    now = ctx.clock()
    prior = _prior(ctx, sha)
    if prior is not None:
        return duplicate(ctx, name, sha, now, prior, None, origin)
    outcome = _execute(ctx, _submission(path, name, sha, now, None, None, (error(FindingCode.FILE_UNREADABLE,
                                                                                 message),), origin))
    return finish_or_owe(ctx, outcome)


def _prior(ctx: ServiceContext, sha: str) -> StoredSubmission | None:
    """The submission of these very bytes, if any."""
    with UnitOfWork(ctx, read_only=True) as uow:
        return uow.submissions.by_sha(sha)


def _submission(path: Path, name: str, sha: str, now: datetime, batch: str | None, parsed: ParsedWorkbook | None,
                findings: tuple[Finding, ...], origin: Origin | None) -> Submission:
    return Submission(path, name, sha, now, batch, parsed, findings, new_submission_id(now),
                      parsed.request_type if parsed else None, parsed.numero if parsed else "", origin)


def _log(outcome: Outcome, seconds: float) -> None:
    counts = outcome.report.get("counts") or {}
    log.info("submission id=%s adherent=%s outcome=%s errors=%d created=%s updated=%s disabled=%s "
             "duration_ms=%d", outcome.submission_id, outcome.report["adherent"], outcome.status,
             len(outcome.report["errors"]), counts.get("created", 0), counts.get("updated", 0),
             counts.get("disabled", 0), seconds * 1000)


# -- steps: each takes what is known and returns what is then known ------------------------

def _execute(ctx: ServiceContext, submission: Submission) -> Outcome:
    judged = Judgement(submission, submission.findings)
    if submission.parsed is None or submission.request_type is None or not submission.numero.isdigit():
        with UnitOfWork(ctx) as uow:
            outcome = record_outcome(ctx, uow, judged)
            _fence(submission.path)
            uow.commit()
        return outcome
    with UnitOfWork(ctx) as uow:
        judged = authenticate(ctx, uow, judged)
        if judged.authenticated or submission.request_type == RequestType.ABONNEMENT:
            judged = _plan(uow, judged)
        finished = None
        if judged.has_errors or submission.request_type == RequestType.CONTROLE:
            finished = record_outcome(ctx, uow, judged)
            _fence(submission.path)
        # Committed either way: a failed authentication counts, a right one resets the count.
        uow.commit()
    if finished is not None:
        return finished
    hashes = hash_plan(judged.plan or Plan(), _admin_password(judged), ctx.hasher)
    try:
        return _apply_committed(ctx, judged, hashes)
    except exc.IntegrityError:
        # Another lane or instance took a login at the same moment: judge again. The same
        # bytes committed first fail again here, and process_file reports the duplicate.
        log.warning("submission id=%s conflicted with a concurrent one; re-planning", submission.id)
        return _apply_committed(ctx, judged, hashes)


def _apply_committed(ctx: ServiceContext, judged: Judgement, hashes: Hashes) -> Outcome:
    with UnitOfWork(ctx) as uow:
        outcome = _apply(ctx, uow, judged, hashes)
        _fence(judged.submission.path)
        uow.commit()
    return outcome


def _fence(path: Path) -> None:
    """An outcome is recorded only by the claim that holds the file: gone from our work folder, it was
    adopted by another instance (this one paused past the stale heartbeat), which records it."""
    if not path.exists():
        raise faults.ClaimLost(path.name)


def _plan(uow: Repositories, judged: Judgement) -> Judgement:
    """Plan against the store of this transaction, once: a plan made on the same view stands.

    Inside the write transaction the store may have moved while we hashed (another
    workbook took a login, an operator disabled an account): the view is read again
    and, only when it differs from the one the plan was made on, the plan is made
    again and its findings replace the old plan's.
    """
    submission, company = judged.submission, judged.company
    assert submission.parsed is not None
    subscribing = submission.request_type == RequestType.ABONNEMENT
    if not subscribing and (company is None or company.status != AdherentStatus.ACTIVE):
        return _without_plan_findings(judged)
    # An Abonnement is not authenticated: it learns nothing about who exists (spec, « Checks that need the
    # account store … run only after the workbook authenticated »). Its logins are judged against the store
    # when the Agence Virtuelle validates the subscription; a login taken then is skipped and the delegate told.
    view = uow.accounts.view(None, ()) if subscribing else uow.accounts.view(company, _logins(submission.parsed))
    if judged.plan is not None and view == judged.view:
        return judged
    judged = _without_plan_findings(judged)
    plan = make_plan(submission.sheets, view)
    return replace(judged, plan=plan, view=view, findings=_merge(judged.findings, plan.findings))


def _without_plan_findings(judged: Judgement) -> Judgement:
    """The findings of the judgement without those of its plan, which is to be made again."""
    old = judged.plan
    if old is None:
        return judged
    return replace(judged, findings=tuple(f for f in judged.findings if f not in old.findings))


def _apply(ctx: ServiceContext, uow: Repositories, judged: Judgement, hashes: Hashes) -> Outcome:
    submission = judged.submission
    assert submission.parsed is not None
    judged = replace(judged, company=uow.adherents.get(submission.numero, for_update=True))
    if submission.request_type == RequestType.ABONNEMENT and judged.company is not None:
        judged = _without_plan_findings(judged).with_error(
            FindingCode.ADHERENT_EXISTS, submission_text.already_subscribed(submission.numero),
            **submission.parsed.adherent.where("type_demande"))
        return record_outcome(ctx, uow, judged)
    judged = _plan(uow, judged)  # the plan stands unless the store moved while we hashed
    if judged.has_errors:
        return record_outcome(ctx, uow, judged)
    hashes = hash_plan(judged.plan or Plan(), _admin_password(judged), ctx.hasher, hashes)
    # Looked up through its module at each call: the crash-safety tests wrap apply.apply_plan to die before
    # the commit.
    applied = apply.apply_plan(uow, judged, hashes)
    return record_outcome(ctx, uow, judged, applied)


# -- what a judgement says ------------------------------------------------------------------

def _admin_password(judged: Judgement) -> str | None:
    submission = judged.submission
    if submission.parsed is None:
        return None
    if submission.request_type == RequestType.ABONNEMENT:
        return submission.parsed.delegue.value("password") or None
    return judged.plan.admin_password if judged.plan is not None else None


def _logins(parsed: ParsedWorkbook) -> list[str]:
    logins = [v for _, t in parsed.tables() for v in t.frame["login"].tolist() if v]
    return logins + [v for v in parsed.categories.frame["login"].tolist() if v]


def _merge(first: tuple[Finding, ...], later: list[Finding]) -> tuple[Finding, ...]:
    """Later findings on a cell the first ones already flag are dropped: one finding per cell."""
    cells = {(f.sheet, f.cell) for f in first if f.cell}
    return (*first, *(f for f in later if not f.cell or (f.sheet, f.cell) not in cells))
