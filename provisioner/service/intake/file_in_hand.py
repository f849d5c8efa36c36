"""What becomes of one claimed file in a round: processed alone or as a batch, kept waiting for a failing
part, or set aside.

A fault of the service's own parts (`service.faults`) met while a file is in
hand leaves the file claimed, retried with a backoff (`waits`, `retry_at` in
its sidecar). Only a file that is itself the cause of an error goes to the
quarantine: an unexpected error is logged (its type and place, never its
message, which may quote a value) and the file set aside.

A death of the process (kill -9, OOM, a host restart) is never taken for
the file's fault: the file is taken up again at the next start. Only a
safety cap remains: a file in hand during MAX_INTERRUPTIONS deaths in a row
is rejected unread as FILE_UNREADABLE (with its report) and set aside, so
that one file can never keep the service in a crash loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.service.context import ServiceContext
from provisioner.service.intake import batch as batches
from provisioner.service.intake import batch_members, claimed_file, faults
from provisioner.service.intake.health import Health
from provisioner.service.intake.workspace import Workspace
from provisioner.service.mailbox import mail_round

if TYPE_CHECKING:
    from provisioner.service.intake.batch import BatchResult
    from provisioner.service.mailbox.mail_round import MailResult
    from provisioner.service.submission.values import Outcome

log = logging.getLogger(__name__)

MAX_INTERRUPTIONS = 10  # deaths of the process with the same file in hand before it is set aside
WAIT_MAX = timedelta(minutes=5)  # longest backoff of a file waiting for a failing part


@dataclass(frozen=True)
class Handled:
    """What became of one claimed file.

    `status`: accepted | rejected | duplicate | quarantined | batch | mail | waiting
    (a part of the service failed: the file stays claimed) | stopped (a
    batch stopped between two members) | error (could not even be set aside) | adopted (another
    instance took it over meanwhile: its outcome is theirs).
    """

    status: str
    outcome: Outcome | None = None
    batch: BatchResult | None = None
    mail: MailResult | None = None
    fault: faults.Fault | None = None


def handle(ctx: ServiceContext, workspace: Workspace, health: Health, work: Path, *,
           should_stop: Callable[[], bool], on_member: Callable[[int, int], None] | None = None) -> Handled:
    """Process one claimed file; on return it has left the work folder, unless it waits."""
    info = workspace.info(work)
    interrupted = int(info.extra.get("interrupted", 0))
    waits = int(info.extra.get("waits", 0))
    try:
        # Counted now, uncounted on every way out: what remains is the deaths with this file in hand.
        workspace.remember(work, interrupted=interrupted + 1)
        if interrupted >= MAX_INTERRUPTIONS:
            log.error("file ref=%s was in hand during %d deaths of the service: rejected unread",
                      work.name, interrupted)
            outcome = claimed_file.reject_interrupted(ctx, work, info.name, interrupted, info.origin)
            handled = Handled("quarantined", outcome=outcome)
        elif mail_round.is_mail(info):
            mail = mail_round.handle_mail(ctx, workspace, work, info, should_stop=should_stop)
            if mail is None or mail.waiting:  # stopped between two workbooks, or its receipt not yet committed
                workspace.remember(work, interrupted=interrupted)
                return Handled("stopped")
            handled = Handled("mail", mail=mail)
        elif batch_members.is_batch(work, info.name):
            result = batches.handle_batch(ctx, workspace, work, info, should_stop=should_stop,
                                          on_member=on_member)
            if result is None:  # stopped between two members: resumed at the next start
                workspace.remember(work, interrupted=interrupted)
                return Handled("stopped")
            handled = Handled("batch", batch=result)
        else:
            resumed = info.claimed_at if interrupted or waits else None
            outcome = claimed_file.handle_one(ctx, work, info.name, resumed_since=resumed, origin=info.origin)
            status = ("quarantined" if outcome.parsed is None and outcome.status == SubmissionStatus.REJECTED
                      else outcome.status)
            handled = Handled(status, outcome=outcome)
            if outcome.pending is not None and outcome.pending.part in faults.FOLDER_PARTS:
                health.fail(outcome.pending)
    except faults.ClaimLost:
        log.warning("file ref=%s was adopted by another instance while in hand: its outcome is recorded there",
                    work.name)
        return Handled("adopted")
    except Exception as error:
        fault = faults.classify(error, ctx.settings)
        if fault is not None:
            return _wait(ctx, workspace, health, work, fault, interrupted, waits)
        claimed_file.log_failure("file", work.name, error)
        try:
            if work.exists():
                claimed_file.quarantine(ctx, work, work.name, info.name)
            handled = Handled("quarantined")
        except Exception as again:  # left in the work folder: tried again at the next round
            claimed_file.log_failure("quarantine", work.name, again)
            _forget_start(workspace, work, interrupted)
            return Handled("error")
    workspace.release(work)
    workspace.heartbeat()
    return handled


def _wait(ctx: ServiceContext, workspace: Workspace, health: Health, work: Path, fault: faults.Fault,
          interrupted: int, waits: int) -> Handled:
    """A part of the service failed with `work` in hand: keep it claimed, retry it later.

    A lock not granted in time is this file's wait only: the database answers, the other files go on."""
    if fault.reason != faults.LOCK:
        health.fail(fault)
    waits += 1
    delay = min(timedelta(seconds=ctx.settings.poll_seconds) * 2 ** min(waits - 1, 16), WAIT_MAX)
    retry_at = ctx.clock() + delay
    try:
        workspace.remember(work, interrupted=interrupted, waits=waits, retry_at=retry_at.isoformat())
    except OSError:  # var/ itself fails: the file is retried at the next round
        pass
    log.warning("file ref=%s waits for %s (%s): attempt %d, next in %d s", work.name, fault.part,
                fault.detail, waits, delay.total_seconds())
    return Handled("waiting", fault=fault)


def _forget_start(workspace: Workspace, work: Path, interrupted: int) -> None:
    try:
        workspace.remember(work, interrupted=interrupted)
    except OSError:
        pass
