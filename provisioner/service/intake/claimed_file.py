"""One file taken from the inbox: processed, then moved out, so the submitted bytes stay nowhere.

After `process_file` the claimed file leaves the work folder one of three ways:
- read (accepted or rejected): the archive gets a NEW workbook built from the
  values read, every secret emptied (`archive/<YYYY>/<MM>/<submission>.xlsx`),
  then the file is deleted;
- a duplicate: deleted (its report says which submission it repeats);
- not readable at all: sealed into the quarantine under our own name
  (`<submission>-<suffix>`: its facts, and its bytes encrypted, see
  quarantine.py), for a person to look at; it is reported all the same.

The file's name is the person's: it goes into the report (escaped where
shown), never into a path.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Collection
from datetime import datetime
from pathlib import Path, PurePosixPath

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.service.context import ServiceContext
from provisioner.service.intake import faults
from provisioner.service.intake.drop import Origin
from provisioner.service.intake.quarantine import quarantine_file
from provisioner.service.submission import pipeline
from provisioner.service.submission.kept_workbook import archive_path_for
from provisioner.service.submission.values import Outcome, sha256_file
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.wording import intake as intake_text
from provisioner.workbook.checker import check_file
from provisioner.workbook.rebuild import write_copy

log = logging.getLogger(__name__)

_SAFE_SUFFIX = re.compile(r"[a-z0-9]{1,8}")


def handle_one(ctx: ServiceContext, path: Path, original_name: str, *, resumed_since: datetime | None = None,
               batch: str | None = None, known: Collection[str] = (), origin: Origin | None = None) -> Outcome:
    """Process the claimed file at `path` and move it out; returns the outcome.

    `resumed_since`: when a file taken before a crash is taken up again, the
    time it was first taken. A submission of the same bytes finished since
    then (and not among `known`, the submissions of the same batch) is this
    very file, handled before the crash: it is not processed again (that
    would report it as its own duplicate), only moved out.
    """
    outcome = None
    if resumed_since is not None:
        outcome = _handled_before(ctx, path, original_name, resumed_since, known)
    if outcome is None:
        # Looked up on the module at each call: the fault tests put a failing pipeline in its place.
        outcome = pipeline.process_file(ctx, path, name=original_name, batch=batch, origin=origin)
    try:
        dispose(ctx, path, outcome, original_name)
    except Exception as error:  # committed: whatever failed, the file waits and is moved out later
        part = faults.VAR if outcome.status == SubmissionStatus.DUPLICATE else (
            faults.ARCHIVE if outcome.parsed is not None else faults.QUARANTINE)
        raise faults.AfterCommit(part) from error
    return outcome


def reject_interrupted(ctx: ServiceContext, path: Path, original_name: str, times: int,
                       origin: Origin | None = None) -> Outcome:
    """The safety cap of the loop: a file in hand at `times` deaths of the service, rejected unread."""
    outcome = pipeline.reject_unread(ctx, path, name=original_name, message=intake_text.interrupted(times),
                                     origin=origin)
    dispose(ctx, path, outcome, original_name)
    return outcome


def dispose(ctx: ServiceContext, path: Path, outcome: Outcome, original_name: str) -> str:
    """Archive a rebuilt copy and delete `path`, or quarantine it; returns what was done."""
    if outcome.status == SubmissionStatus.DUPLICATE:
        path.unlink(missing_ok=True)
        return "deleted"
    if outcome.parsed is None:
        codes = [e["code"] for e in outcome.report["errors"]]
        quarantine(ctx, path, outcome.submission_id, original_name, reason=",".join(codes) or "unreadable")
        return "quarantined"
    target = archive_path(ctx, outcome)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_copy(outcome.parsed, (), annotate=False, path=target)
    path.unlink(missing_ok=True)
    return "archived"


def archive_path(ctx: ServiceContext, outcome: Outcome) -> Path:
    return archive_path_for(ctx, outcome.submission_id, _received_at(outcome) or ctx.clock())


def quarantine(ctx: ServiceContext, path: Path, stem: str, original_name: str, *, reason: str = "unexpected") -> Path:
    """Take `path` out of the work folder into the quarantine as `<stem>-<suffix>`: our name, the suffix
    only if harmless. What is kept of it (never a secret in clear) is service/intake/quarantine.py's."""
    return quarantine_file(ctx.settings, path, f"{stem}-{safe_suffix(original_name)}", original_name,
                           reason=reason, now=ctx.clock())


def safe_suffix(name: str) -> str:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")
    return suffix if _SAFE_SUFFIX.fullmatch(suffix) else "bin"


def log_failure(what: str, ref: str, error: BaseException) -> None:
    """Log an unexpected error without its message: messages may quote values read from a file."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    log.error("%s failed ref=%s error=%s at=%s", what, ref, type(error).__name__, where)


def _handled_before(ctx: ServiceContext, path: Path, name: str, claimed_at: datetime,
                    known: Collection[str]) -> Outcome | None:
    sha = sha256_file(path)
    with UnitOfWork(ctx, read_only=True) as uow:
        prior = uow.submissions.by_sha(sha)
    if (prior is None or prior.finished_at is None or prior.report is None
            or prior.received_at < claimed_at or prior.id in known):
        return None
    report = prior.committed_report()
    parsed = check_file(path, name=name, max_bytes=ctx.max_bytes).workbook
    log.info("submission id=%s already processed before a restart: moving the file out", prior.id)
    return Outcome(prior.id, SubmissionStatus(report["status"]), report, ctx.outbox / prior.id, parsed)


def _received_at(outcome: Outcome) -> datetime | None:
    try:
        return datetime.fromisoformat(str(outcome.report["received_at"]))
    except ValueError:
        return None
