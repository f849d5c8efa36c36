"""The one reply to a mail received by the IMAP door (or replayed by `provisioner process MESSAGE.eml`):
in the same thread (`Re:`, In-Reply-To, References, Auto-Submitted: auto-replied), queued in the caller's
transaction like every email.

`From` proves nothing: the reply says what each workbook's report says, and no more. An unauthenticated
workbook's AUTH_FAILED and ACCOUNT_LOCKED read the same (whether a company exists, and is locked, is not
told to whoever sent the mail). Replies to one address are rate-limited (`MAX_PER_HOUR`), so that two
robots answering each other cannot loop, whatever headers they forget.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypedDict

from sqlalchemy import Connection, select

from provisioner.mail.queue import enqueue
from provisioner.reports.report_model import FindingEntry, Report
from provisioner.service.mailbox.mail_parse import ParsedMail
from provisioner.store.mails import Mails
from provisioner.store.tables import mail_queue
from provisioner.wording.submission import AUTH_FAILED
from provisioner.wording.workbook_text import HOW_TO_SAVE_XLSX

log = logging.getLogger(__name__)

KIND = "mail_reply"
MAX_PER_HOUR = 5
_AUTH_CODES = frozenset({"AUTH_FAILED", "ACCOUNT_LOCKED"})


class ReplyItem(TypedDict):
    """What the reply says of one workbook (kept in the mail's sidecar until the reply is queued)."""

    file: str
    status: str
    submission_id: str | None
    adherent: str | None
    request_type: str | None
    errors: list[FindingEntry]
    warnings: int  # how many
    annotated: bool  # its annotated copy is attached
    batch: bool  # a zip, summed up by its batch


def outcome_item(name: str, report: Report, *, annotated: Path | None = None) -> ReplyItem:
    """What the reply says of one workbook, from its report."""
    errors = [f.copy() for f in report.get("errors") or []]
    if any(f.get("code") in _AUTH_CODES for f in errors):
        errors = [{"code": "AUTH_FAILED", "message": AUTH_FAILED, "sheet": None, "row": None,
                   "column": None, "cell": None}]
    return {"file": name, "status": report.get("status", "accepted"), "submission_id": report.get("submission_id"),
            "adherent": report.get("adherent"), "request_type": report.get("request_type"), "errors": errors,
            "warnings": len(report.get("warnings") or []), "annotated": annotated is not None, "batch": False}


def batch_item(name: str, status: str) -> ReplyItem:
    """A zip, summed up by its batch (its own summary tells each workbook)."""
    return {"file": name, "status": status, "submission_id": None, "adherent": None, "request_type": None,
            "errors": [], "warnings": 0, "annotated": False, "batch": True}


def queue_reply(conn: Connection, parsed: ParsedMail, *, case: str, items: list[ReplyItem],
                attachments: list[Path], max_mb: float, now: datetime) -> str | None:
    """Queue the reply to `parsed`; returns its Message-ID, None when none may be sent."""
    if parsed.automatic or not parsed.sender:
        return None
    if _recent_replies(conn, parsed.sender, now) >= MAX_PER_HOUR:
        log.warning("mail reply withheld: %d replies to one address in the last hour", MAX_PER_HOUR)
        return None
    headers = {"Auto-Submitted": "auto-replied"}
    if parsed.message_id:
        headers["In-Reply-To"] = parsed.message_id
        headers["References"] = " ".join((*parsed.references, parsed.message_id))
    context = {"original_subject": parsed.subject, "case": case, "items": items, "max_mb": f"{max_mb:g}",
               "spreadsheets": list(parsed.spreadsheets), "how_to_save": HOW_TO_SAVE_XLSX}
    return enqueue(Mails(conn), kind=KIND, recipients=[parsed.sender], context=context, attachments=attachments,
                   now=now, headers=headers)


def _recent_replies(conn: Connection, address: str, now: datetime) -> int:
    rows = conn.execute(select(mail_queue.c.recipients).where(
        mail_queue.c.kind == KIND, mail_queue.c.created_at >= now - timedelta(hours=1)))
    wanted = address.casefold()
    return sum(1 for (recipients,) in rows if any(str(r).casefold() == wanted for r in recipients or ()))
