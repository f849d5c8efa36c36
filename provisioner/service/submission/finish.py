"""After a submission's commit: its outputs written, then the submission marked finished; or, when that
fails, its outputs owed (`pending`), written later from the stored report (`service.owed`), or when the same
bytes come again (`resume`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from provisioner.service.context import ServiceContext
from provisioner.service.intake import faults
from provisioner.service.submission.kept_workbook import kept_workbook, needs_workbook
from provisioner.service.submission.outputs import write_outputs
from provisioner.service.submission.values import Outcome, stored_outcome
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.submissions import StoredSubmission
from provisioner.workbook.checker import read_as_checked

log = logging.getLogger(__name__)


def finish_or_owe(ctx: ServiceContext, outcome: Outcome) -> Outcome:
    """`finish_outputs`, and when it fails, whatever the reason, the outputs are owed (`pending`): never raised.

    The workbook is committed: failing now would have the file treated again
    (or quarantined) though it was applied. The submission's `finished_at`
    stays NULL, which is what `service.owed` looks for each round.
    """
    try:
        finish_outputs(ctx, outcome)
    except Exception as error:
        pending = faults.classify(error, ctx.settings, writing=faults.OUTBOX) or faults.Fault(
            "outputs", type(error).__name__)
        log.error("submission id=%s applied; outputs pending: %s %s", outcome.submission_id,
                  pending.part, pending.detail)
        return replace(outcome, pending=pending)
    return outcome


def finish_outputs(ctx: ServiceContext, outcome: Outcome) -> None:
    """After the commit: write the outputs, then mark the submission finished (a crash between is resumed)."""
    write_outputs(ctx, outcome)
    with UnitOfWork(ctx) as uow:
        uow.submissions.finish(outcome.submission_id, ctx.clock())
        uow.commit()


def resume(ctx: ServiceContext, path: Path, prior: StoredSubmission) -> Outcome:
    """A crash came between the commit and the outputs: write them now, from the stored report.

    The file is not checked again: the workbook is read back only when the outputs need it,
    from its archive copy when that was kept, else from this file.
    """
    parsed = None
    report = prior.committed_report()  # a committed submission has one
    if needs_workbook(report):
        name = report.get("file") or path.name
        parsed = kept_workbook(ctx, prior) or read_as_checked(path, name=name, max_bytes=ctx.max_bytes)
    outcome = finish_or_owe(ctx, stored_outcome(ctx.outbox, prior, parsed))
    if outcome.pending is None:
        log.info("submission id=%s resumed: outputs written after a restart", prior.id)
    return outcome
