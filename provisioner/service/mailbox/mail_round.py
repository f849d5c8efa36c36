"""A mail in hand (deposited by the IMAP door, or named to `provisioner process`): each workbook attached
processed in turn as the inbox would process it, then ONE reply queued, in the transaction that marks the
mail finished.

Like a batch, progress is kept in the claim's sidecar (each attachment's line): a mail interrupted by a
stop or a crash resumes where it was, and an attachment that was processed is not processed again (nor
taken for its own duplicate: `claimed_file.handle_one`'s `resumed_since`). The raw mail is never written
anywhere but the work folder; its workbooks go through the scratch folder beside it and leave it as any
claimed file does (archived without secrets, or quarantined sealed).

A mail from the door carries its key (the origin's reference) and the token of its deposit: the mail is
finished only if the store's receipt carries the same token and is still in hand, so a deposit whose
receipt never committed (a crash between the two) is dropped, and a mail finished before a crash is not
answered twice. The door moves it to its folder once it sees it finished.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import cast

from provisioner.domain.vocabulary import Door, MailState
from provisioner.service.context import ServiceContext
from provisioner.service.intake import batch as batches
from provisioner.service.intake import claimed_file, faults
from provisioner.service.intake.workspace import SCRATCH, ClaimInfo, Workspace
from provisioner.service.mailbox.mail_parse import ParsedMail, Workbook, parse_mail
from provisioner.service.mailbox.mail_reply import ReplyItem, batch_item, outcome_item, queue_reply
from provisioner.service.submission.outputs import ANNOTATED
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.mail_receipts import MailKey

log = logging.getLogger(__name__)

ORPHAN_AFTER = timedelta(minutes=10)  # a deposit whose receipt is still missing then never committed


@dataclass(frozen=True)
class MailResult:
    """What became of a mail: `state` (None: not ours to finish, dropped), each workbook's outcome."""

    state: MailState | None
    items: list[ReplyItem] = field(default_factory=list)
    waiting: bool = False  # its receipt is not committed yet: taken again at a later round
    reply_to: str | None = None  # where its reply was queued (None: no reply, a robot or rate-limited)


def is_mail(info: ClaimInfo) -> bool:
    """A saved mail (`.eml`) from the IMAP door or named to `provisioner process` (a workbook deposited by
    a door is a workbook)."""
    origin = info.origin
    return (origin is not None and origin.door in (Door.IMAP, Door.PROCESS)
            and info.name.lower().endswith(".eml"))


def handle_mail(ctx: ServiceContext, workspace: Workspace, work: Path, info: ClaimInfo, *,
                should_stop: Callable[[], bool] = lambda: False) -> MailResult | None:
    """Process the claimed mail `work`; None when stopped between two workbooks (resumed later).

    A mail that sets off an unexpected error is marked ignored before the error goes on (the caller sets
    the file aside, sealed): the door moves it out of the folder rather than leaving it there for ever.
    """
    token = info.extra.get("imap_token")
    key = MailKey.parse(info.origin.reference) if token and info.origin is not None else None
    if key is not None:
        known = _receipt_state(ctx, key, str(token), info)
        if known is not None:
            return known
    try:
        return _process(ctx, workspace, work, info, key, str(token), should_stop)
    except Exception as error:
        if key is not None and faults.classify(error, ctx.settings) is None:
            with UnitOfWork(ctx) as uow:
                uow.mail_receipts.finish(key, str(token), MailState.IGNORED, now=ctx.clock())
                uow.commit()
        raise


def _process(ctx: ServiceContext, workspace: Workspace, work: Path, info: ClaimInfo, key: MailKey | None,
             token: str, should_stop: Callable[[], bool]) -> MailResult | None:
    parsed = parse_mail(work.read_bytes(), own_address=ctx.settings.mail_from)
    case = _case(parsed, info)
    items: list[ReplyItem] = []
    attachments: list[Path] = []
    if case == "outcome":
        # The sidecar's lines, as _workbook made them (JSON read back).
        done = cast(dict[str, ReplyItem], dict(info.extra.get("done") or {}))
        scratch = work.with_name(work.name + SCRATCH)
        scratch.mkdir(exist_ok=True)
        for index, workbook in enumerate(parsed.workbooks, start=1):
            if should_stop():
                return None
            if str(index) not in done:
                done[str(index)] = _workbook(ctx, workspace, scratch / f"a{index:02d}", workbook, info)
                workspace.remember(work, done=done)
                workspace.heartbeat()
            item = done[str(index)]
            items.append(item)
            if item["annotated"]:
                attachments.append(ctx.outbox / str(item["submission_id"]) / ANNOTATED)
    state = MailState.PROCESSED if case == "outcome" else MailState.IGNORED
    replied = None
    with UnitOfWork(ctx) as uow:
        if key is None or uow.mail_receipts.finish(key, token, state, now=ctx.clock()):
            replied = queue_reply(uow.conn, parsed, case=case, items=items, attachments=attachments,
                                  max_mb=ctx.settings.imap_max_message_mb, now=ctx.clock())
        uow.commit()
    work.unlink(missing_ok=True)
    log.info("mail ref=%s %s workbooks=%d reply=%s", key.reference if key else work.name, state,
             len(items), case if replied else "none")
    return MailResult(state, items, reply_to=parsed.sender if replied else None)


def _receipt_state(ctx: ServiceContext, key: MailKey, token: str, info: ClaimInfo) -> MailResult | None:
    """None when the mail is ours to process; else what to do with this deposit instead."""
    with UnitOfWork(ctx, read_only=True) as uow:
        receipt = uow.mail_receipts.get(key)
    if receipt is not None and receipt.token == token:
        return None if receipt.state == MailState.IN_HAND else MailResult(receipt.state)
    if receipt is None and ctx.clock() - info.claimed_at < ORPHAN_AFTER:
        return MailResult(None, waiting=True)  # the door commits its receipt just after the deposit
    log.warning("mail ref=%s: deposit without its receipt, dropped (the mailbox still holds the mail)",
                key.reference)
    return MailResult(None)


def _case(parsed: ParsedMail, info: ClaimInfo) -> str:
    if info.extra.get("imap_too_large"):
        return "too_large"
    if parsed.broken:
        return "broken"
    if parsed.automatic:
        return "automatic"
    if parsed.workbooks:
        return "outcome"
    return "winmail" if parsed.winmail else "no_workbook"


def _workbook(ctx: ServiceContext, workspace: Workspace, path: Path, workbook: Workbook,
              info: ClaimInfo) -> ReplyItem:
    """One attachment through the inbox's pipeline (a zip as a batch); the reply's line for it."""
    # Written 600 beside the mail, the only place its bytes may be; resumed when it is already there.
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(workbook.data)
    resumed = info.claimed_at if info.extra.get("done") is not None or info.extra.get("interrupted") else None
    if workbook.kind == "zip":
        member_info = workspace.info(path)
        batch_info = ClaimInfo(workbook.name, info.claimed_at, member_info.extra, info.origin)
        result = batches.handle_batch(ctx, workspace, path, batch_info)
        status = "rejected" if result is None or result.refused or result.count("rejected") else "accepted"
        return batch_item(workbook.name, status)
    outcome = claimed_file.handle_one(ctx, path, workbook.name, resumed_since=resumed, origin=info.origin)
    annotated = ctx.outbox / outcome.submission_id / ANNOTATED if outcome.status == "rejected" else None
    # An unreadable file has no annotated copy: its report says why.
    if outcome.parsed is None:
        annotated = None
    return outcome_item(workbook.name, outcome.report, annotated=annotated)
