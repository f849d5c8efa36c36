"""A fiduciary's zip of workbooks: each member processed on its own, then one summary for the batch.

The zip is read as hostile (`service.batch_members`). A member that is not
a readable `.xlsx` gets its own rejected report and does not stop the others.

Progress is kept in the claim's sidecar (the batch id, each member's line):
a batch interrupted by a stop or a crash resumes where it was, and a member
that was processed is not processed again.

Outputs: the batch's summary and its email (`service.batch_summary`).
"""

from __future__ import annotations

import logging
import secrets
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.service.intake import batch_members, batch_summary, claimed_file, faults
from provisioner.service.intake.batch_members import BatchRefused
from provisioner.wording import intake as intake_text

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext
    from provisioner.service.intake.drop import Origin
    from provisioner.service.intake.workspace import ClaimInfo, Workspace
    from provisioner.service.submission.values import Outcome

log = logging.getLogger(__name__)

AUTH_CODES = frozenset({FindingCode.AUTH_FAILED, FindingCode.ACCOUNT_LOCKED})


class BatchLine(TypedDict):
    """One member of a batch as synthese.json lists it (`_notify` stays out of it)."""

    index: int
    file: str
    status: str  # SubmissionStatus (HELD for an accepted one waiting for approval), or "error"
    submission_id: str | None
    adherent: str | None
    raison_sociale: str | None  # None for a member that could not be processed
    request_type: str | None
    errors: int
    warnings: int
    counts: dict[str, int]
    _notify: str | None


@dataclass
class BatchResult:
    batch_id: str
    lines: list[BatchLine] = field(default_factory=list)
    refused: BatchRefused | None = None

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line["status"] == status)


def new_batch_id(now: datetime) -> str:
    return f"L{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def handle_batch(ctx: ServiceContext, workspace: Workspace, work: Path, info: ClaimInfo, *,
                 should_stop: Callable[[], bool] = lambda: False,
                 on_member: Callable[[int, int], None] | None = None) -> BatchResult | None:
    """Process every member of the claimed zip `work`; None when stopped before the end (resumed later).

    On return the zip has left the work folder: deleted once every member was
    handled, or quarantined when the zip itself was refused.
    """
    resumed = "batch" in info.extra
    batch_id = info.extra.get("batch") or new_batch_id(ctx.clock())
    received_at = info.extra.get("received_at") or ctx.clock().isoformat(timespec="seconds")
    # The lines already written to the claim's record (a resumed batch), as _member made them.
    done = cast(dict[str, BatchLine], dict(info.extra.get("done") or {}))
    workspace.remember(work, batch=batch_id, received_at=received_at)
    result = BatchResult(batch_id)
    try:
        with zipfile.ZipFile(work) as archive:
            members = batch_members.members(archive)
            scratch = work.with_name(work.name + ".d")
            scratch.mkdir(exist_ok=True)
            for position, (index, display, entry) in enumerate(members, start=1):
                if should_stop():
                    log.info("batch id=%s stopped after %d of %d workbooks", batch_id, position - 1, len(members))
                    return None
                key = str(index)
                if key not in done:
                    known = {line["submission_id"] for line in done.values() if line["submission_id"]}
                    done[key] = _member(ctx, archive, entry, scratch / f"m{index:03d}", display, index,
                                        batch_id, info.claimed_at if resumed else None, known, info.origin)
                    workspace.remember(work, done=done)
                    workspace.heartbeat()
                result.lines.append(done[key])
                if on_member:
                    on_member(position, len(members))
    except BatchRefused as refused:
        result.refused = refused
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
        if faults.classify(error, ctx.settings) is not None:
            raise  # our disk, not the zip: the batch stays claimed and resumes where it was
        claimed_file.log_failure("batch", batch_id, error)
        result.refused = BatchRefused(FindingCode.FILE_UNREADABLE, intake_text.ZIP_DAMAGED)
    batch_summary.write_summary(ctx, result, info.name, received_at)
    if result.refused is not None:
        claimed_file.quarantine(ctx, work, batch_id, info.name)
        log.warning("batch id=%s refused code=%s", batch_id, result.refused.code)
    else:
        if not info.extra.get("summary_queued"):
            batch_summary.queue_summary(ctx, result, info.name, received_at)
            workspace.remember(work, summary_queued=True)
        work.unlink(missing_ok=True)
    log.info("batch id=%s workbooks=%d accepted=%d rejected=%d duplicate=%d", batch_id, len(result.lines),
             result.count(SubmissionStatus.ACCEPTED), result.count(SubmissionStatus.REJECTED),
             result.count(SubmissionStatus.DUPLICATE))
    return result


# -- one member ------------------------------------------------------------------


def _member(ctx: ServiceContext, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, scratch: Path, display: str,
            index: int, batch_id: str, resumed_since: datetime | None, known: set[str],
            origin: Origin | None) -> BatchLine:
    ref = f"{batch_id}#{index}"
    try:
        batch_members.extract(archive, entry, scratch, ctx.max_bytes + 1)
        outcome = claimed_file.handle_one(ctx, scratch, display, resumed_since=resumed_since, batch=batch_id,
                                          known=known, origin=origin)
    except Exception as error:  # one member never stops the others
        if faults.classify(error, ctx.settings) is not None:
            raise  # the database or a folder of ours: the batch waits, this member is not at fault
        claimed_file.log_failure("batch member", ref, error)
        if scratch.exists():
            claimed_file.quarantine(ctx, scratch, f"{batch_id}-{index:03d}", display)
        return {"index": index, "file": display, "status": "error", "submission_id": None, "adherent": None,
                "raison_sociale": None, "request_type": None, "errors": 0, "warnings": 0, "counts": {}, "_notify": None}
    return _line(index, display, outcome)


def _line(index: int, display: str, outcome: Outcome) -> BatchLine:
    report = outcome.report
    held = report["held"] and outcome.status == SubmissionStatus.ACCEPTED
    status = SubmissionStatus.HELD if held else outcome.status
    return {
        "index": index, "file": display, "status": status, "submission_id": outcome.submission_id,
        "adherent": report["adherent"], "raison_sociale": report["raison_sociale"],
        "request_type": report["request_type"], "errors": len(report["errors"]),
        "warnings": len(report["warnings"]), "counts": dict(report.get("counts") or {}),
        "_notify": _notification_address(outcome),
    }


def _notification_address(outcome: Outcome) -> str | None:
    """The workbook's `Email de notification`, when it may be trusted: an Abonnement or an authenticated one."""
    parsed = outcome.parsed
    if parsed is None or outcome.status == SubmissionStatus.DUPLICATE:
        return None
    address = parsed.adherent.value("email_notification") or None
    request_type = parsed.request_type
    if request_type == RequestType.ABONNEMENT:
        return address
    codes = {f["code"] for f in outcome.report["errors"]}
    authenticated = (request_type in (RequestType.MISE_A_JOUR, RequestType.CONTROLE) and parsed.numero.isdigit()
                     and not codes & AUTH_CODES)
    return address if authenticated else None


