"""The transactional outbox: messages stored with the changes they tell about.

`enqueue` writes a `mail_queue` row through the caller's repository (`uow.mails`), inside the
caller's transaction: if the submission rolls back, its emails vanish with
it; if it commits, they are there for `dispatch.send_due` to send, however
often the process restarts in between. The message is rendered now (the
context may not exist later) and gets its Message-ID now, so every attempt
sends the same message and a receiver can drop a duplicate. The bodies of
the kinds that carry a password (SECRET_KINDS) are stored encrypted with the
service's key (security/secret_key.py), decrypted only to be sent.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from provisioner.domain.vocabulary import MailStatus
from provisioner.mail.render import SECRET_KINDS, render
from provisioner.security.secret_key import decrypt_text, encrypt_text
from provisioner.store.mails import Mails

log = logging.getLogger(__name__)

MESSAGE_ID_DOMAIN = "provisioner.cimr.ma"
NO_RECIPIENT = "no valid recipient"


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>"


def enqueue(
    mails: Mails,
    *,
    kind: str,
    recipients: Iterable[str | None],
    context: Mapping[str, object],
    attachments: Iterable[str | os.PathLike[str]] = (),
    submission_id: str | None = None,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Queue a `kind` message to `recipients`; returns its Message-ID.

    Invalid recipients are dropped (and logged). With none left, the row is
    stored as `failed` rather than refused: a bad address in a workbook must
    not undo the submission, and `provisioner status` shows the failure.
    Attachments are stored as absolute paths, read when the message is sent. `headers`: a reply's
    threading (In-Reply-To, References, Auto-Submitted: auto-replied), set on the message as given.
    """
    mail = render(kind, context)
    addresses = clean_recipients(recipients, kind=kind)
    message_id = new_message_id()
    failed = not addresses
    text: str = mail.text
    html: str | None = mail.html
    if kind in SECRET_KINDS:
        # Nobody will ever read a failed one: no password kept. A pending one waits encrypted.
        text = "" if failed else encrypt_text(text)
        html = None if failed or html is None else encrypt_text(html)
    mails.add(
        message_id=message_id,
        kind=kind,
        recipients=addresses,
        subject=mail.subject,
        body_text=text,
        body_html=html,
        attachments=[os.path.abspath(os.fspath(path)) for path in attachments],
        status=MailStatus.FAILED if failed else MailStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error=NO_RECIPIENT if failed else None,
        created_at=now,
        submission_id=submission_id,
        headers=dict(headers) if headers else None,
    )
    if failed:
        log.warning("mail message_id=%s kind=%s outcome=failed error=%r", message_id, kind, NO_RECIPIENT)
    return message_id


def readable_body(stored: str | None) -> str | None:
    """A stored body as it is sent: the bodies of the kinds that carry a password are kept encrypted."""
    return None if stored is None else decrypt_text(stored)


def clean_recipients(recipients: Iterable[str | None], *, kind: str = "") -> list[str]:
    """Valid addresses, one per entry, without duplicates (ignoring case), in the given order.

    Each entry must be exactly one address: no display name, no list, no CR/LF
    (header injection), within the RFC's length limits. Validation is
    email-validator's, without DNS (the queue must not wait on the network).
    """
    seen: set[str] = set()
    valid: list[str] = []
    for raw in recipients:
        if raw is None or not str(raw).strip():
            continue
        candidate = str(raw).strip()
        try:
            if "\r" in candidate or "\n" in candidate:
                raise EmailNotValidError("contains a line break")
            address = validate_email(
                candidate, check_deliverability=False, allow_smtputf8=False
            ).ascii_email
        except EmailNotValidError as error:
            # An address is no secret; repr() keeps a CR/LF from forging log lines.
            log.warning("mail kind=%s dropped invalid recipient %r: %s", kind, candidate[:254], error)
            continue
        if address is None:  # only with SMTPUTF8, which is refused above
            continue
        key = address.casefold()
        if key not in seen:
            seen.add(key)
            valid.append(address)
    return valid
