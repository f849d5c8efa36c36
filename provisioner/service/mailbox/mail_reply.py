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
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from provisioner.mail.queue import enqueue
from provisioner.service.mailbox.mail_parse import ParsedMail
from provisioner.service.submission.authentication import AUTH_FAILED_MESSAGE
from provisioner.store.mails import Mails
from provisioner.store.tables import mail_queue
from provisioner.workbook.file_kind import HOW_TO_SAVE_XLSX

log = logging.getLogger(__name__)

KIND = "mail_reply"
MAX_PER_HOUR = 5
_AUTH_CODES = frozenset({"AUTH_FAILED", "ACCOUNT_LOCKED"})


def outcome_item(name: str, report: Mapping[str, Any] | None, *, batch: bool = False,
                 annotated: Path | None = None) -> dict[str, Any]:
    """What the reply says of one workbook, from its report (None: a zip, summed up by its batch)."""
    report = report or {}
    errors = [dict(f) for f in report.get("errors") or []]
    if any(f.get("code") in _AUTH_CODES for f in errors):
        errors = [{"code": "AUTH_FAILED", "message": AUTH_FAILED_MESSAGE, "sheet": None, "row": None,
                   "column": None, "cell": None}]
    return {"file": name, "status": report.get("status", "accepted"), "submission_id": report.get("submission_id"),
            "adherent": report.get("adherent"), "request_type": report.get("request_type"), "errors": errors,
            "warnings": len(report.get("warnings") or []), "annotated": annotated is not None, "batch": batch}


def queue_reply(conn: Connection, parsed: ParsedMail, *, case: str, items: list[dict[str, Any]],
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
