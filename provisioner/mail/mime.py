"""The RFC 5322 message a queued mail becomes: the same bytes for SMTP and for the `.eml` files."""

from __future__ import annotations

import mimetypes
from datetime import UTC
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from provisioner.mail.transport import OutgoingMail, TransportError


def build_message(mail: OutgoingMail, mail_from: str) -> EmailMessage:
    """The RFC 5322 message: text and HTML as alternatives, then the attachments.

    A missing attachment is a temporary error: outputs are written to a temporary
    name then renamed, so the file may appear later; the queue's give-up time
    ends the wait if it never does.
    """
    message = EmailMessage()
    set_subject(message, mail.subject)
    message["From"] = mail_from
    message["To"] = ", ".join(mail.recipients)
    message["Date"] = format_datetime(mail.created_at.astimezone(UTC))
    message["Message-ID"] = mail.message_id
    # RFC 3834: out-of-office robots must not answer a notice (a reply to a mail says auto-replied).
    extra = dict(mail.headers)
    message["Auto-Submitted"] = extra.pop("Auto-Submitted", "auto-generated")
    for name, value in extra.items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for name in mail.attachments:
        path = Path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise TransportError(f"attachment not found: {path.name}") from None
        except OSError as error:
            raise TransportError(f"attachment unreadable: {path.name}: {error.strerror}") from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return message


def set_subject(message: EmailMessage, subject: str) -> None:
    """Set the Subject so that it comes back exactly as written, however it is folded.

    Python's header folder (3.11, 3.12) puts the space between two RFC 2047
    encoded words at the start of the continuation line, where a reader drops
    it: « corrected.xlsx »– adhérent. A non-ASCII subject is therefore encoded
    here, whole, by `email.header` (every space inside an encoded word, lines
    within 78 characters), and stored as it is.
    """
    if subject.isascii():
        # The policy refuses CR/LF in header values: no header injection from a subject.
        message["Subject"] = subject
        return
    encoded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\n")
    message.set_raw("Subject", encoded)  # encoded words only: no CR/LF of the subject survives
