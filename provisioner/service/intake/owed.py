"""Outputs owed: committed submissions whose outputs were never written, finished by the service.

A workbook is applied in one transaction; its outputs (reports, annotated
copy, subscription form) are written after, and `finished_at` set last.
When the outbox was read-only or full, or the process died in between, the
row keeps `finished_at` NULL. Each round, the service asks the database for
such rows and writes their outputs from the stored report and the
secret-free archive copy (the workbook as read, which the annotated copy
and the subscription form are built from), with a backoff per submission.
No resubmission and no person is needed.

A row whose workbook is needed but whose archive copy is missing is left
alone for a while (`FILE_GRACE`): its file is still claimed (the archive
could not be written either) and is finished when that file is taken up
again. Past that, the workbook was never readable (set aside unread), and
the outputs are written without it: the reports, and an annotated copy
holding the list of findings only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from provisioner.service.context import ServiceContext
from provisioner.service.intake import claimed_file, faults
from provisioner.service.intake.health import Health
from provisioner.service.intake.lanes import Tally
from provisioner.service.submission.finish import finish_or_owe
from provisioner.service.submission.kept_workbook import kept_workbook, needs_workbook
from provisioner.service.submission.values import Outcome, stored_outcome
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.submissions import StoredSubmission

log = logging.getLogger(__name__)

FILE_GRACE = timedelta(minutes=10)
BATCH = 50  # rows looked at per round: a long outage's backlog is cleared over a few rounds
BACKOFF_FIRST_S = 5.0
BACKOFF_MAX_S = 600.0


@dataclass
class Finished:
    """What one call did: outputs written, and the fault that stopped it, if any."""

    written: list[str] = field(default_factory=list)
    fault: faults.Fault | None = None


def finish_owed(ctx: ServiceContext, owed: OwedOutputs, health: Health, tally: Tally | None = None) -> int:
    """A round's step: write the outputs owed (not while the outbox fails); returns how many were written.
    A fault of the service's own parts goes to `health`, never raised."""
    if health.failing(faults.OUTBOX):
        return 0
    try:
        done = owed.finish(ctx)
    except Exception as error:
        fault = faults.classify(error, ctx.settings)
        if fault is None:
            claimed_file.log_failure("owed outputs", "-", error)
        else:
            health.fail(fault)
        return 0
    if done.fault is not None:
        health.fail(done.fault)
    if tally is not None:
        for _ in done.written:
            tally.add("owed")
    return len(done.written)


class OwedOutputs:
    """The rows to finish, each retried with its own backoff (kept in memory: a restart retries at once)."""

    def __init__(self) -> None:
        self._retry: dict[str, tuple[int, float]] = {}  # id -> (failures, monotonic time of the next try)

    def finish(self, ctx: ServiceContext) -> Finished:
        done = Finished()
        now = time.monotonic()
        for row in unfinished(ctx):
            failures, next_try = self._retry.get(row.id, (0, 0.0))
            if next_try > now:
                continue
            outcome = _outcome(ctx, row)
            if outcome is None:
                continue
            outcome = finish_or_owe(ctx, outcome)
            if outcome.pending is None:
                self._retry.pop(row.id, None)
                done.written.append(row.id)
                log.info("submission id=%s: owed outputs written", row.id)
                continue
            failures += 1
            self._retry[row.id] = (failures, now + min(BACKOFF_FIRST_S * 2 ** (failures - 1), BACKOFF_MAX_S))
            if outcome.pending.part in (faults.OUTBOX, faults.DATABASE):
                done.fault = outcome.pending
                break  # the same for every other row: try again at a later round
        return done


def unfinished(ctx: ServiceContext, limit: int = BATCH) -> list[StoredSubmission]:
    """Committed submissions (a report stored) whose outputs are not all written, oldest first."""
    with UnitOfWork(ctx, read_only=True) as uow:
        return list(uow.submissions.unfinished(limit))


def _outcome(ctx: ServiceContext, row: StoredSubmission) -> Outcome | None:
    report = row.committed_report()
    parsed = None
    if needs_workbook(report):
        parsed = kept_workbook(ctx, row)
        if parsed is None and ctx.clock() - row.received_at < FILE_GRACE:
            log.debug("submission id=%s: outputs owed, its file still in hand", row.id)
            return None
    return stored_outcome(ctx.outbox, row, parsed)
