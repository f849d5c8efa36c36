"""Transports: how a queued message leaves the service.

`Transport.send(message)` returns when the message is delivered (handed to the
SMTP server, or written as an `.eml` file; never one that carries a password,
which waits for an SMTP server) and raises `TransportError` when it
is not: `permanent=False` means "try again later", `permanent=True` means
"this message will never go". Delivery failures become stored state in the
queue (see `dispatch`), never crashes.

Neither the SMTP user nor its password ever appears in an exception message
or a log line: messages are built from error codes and server replies, with
both scrubbed, and no SMTP exception is chained (`from None`).
"""

from __future__ import annotations

import logging
import mimetypes
import re
import smtplib
import socket
import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import ClassVar

import yagmail

from provisioner.config import Settings
from provisioner.mail.render import SECRET_KINDS
from provisioner.reports.files import write_atomic

log = logging.getLogger(__name__)

_ERROR_TEXT_MAX = 300


@dataclass(frozen=True)
class OutgoingMail:
    """A message as the queue holds it: rendered, addressed, with a stable Message-ID."""

    message_id: str  # "<uuid@provisioner.cimr.ma>", the same on every attempt
    kind: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str | None
    attachments: tuple[str, ...]  # file paths
    created_at: datetime  # the Date header: when the message was made, not each attempt
    headers: tuple[tuple[str, str], ...] = ()  # a reply's In-Reply-To, References, Auto-Submitted


class TransportError(Exception):
    """The message was not delivered; `permanent` says whether trying again can help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport(ABC):
    # False for a transport that would leave the message readable at rest (the `.eml` files): the
    # kinds that carry a password are then not given to it and wait, encrypted, in the queue.
    carries_secrets: ClassVar[bool] = True

    @abstractmethod
    def send(self, message: OutgoingMail) -> None:
        """Deliver `message`, or raise TransportError."""


def make_transport(settings: Settings) -> Transport:
    """SMTP when a host is configured; otherwise `.eml` files under the outbox (spec)."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return EmlTransport(settings.outbox, mail_from=settings.mail_from)


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


# --- SMTP through yagmail ----------------------------------------------------
#
# What yagmail 0.16 does (read from its source, sender.py / message.py /
# headers.py / password.py / log.py), and why only its connection is used:
#
# - `SMTP(...)` connects nothing; `login()` opens `smtplib.SMTP(host, port,
#   **kwargs)`, then EHLO + STARTTLS + EHLO when `smtp_starttls` is true (it
#   defaults to True when `smtp_ssl` is False: TLS is tried unless told not
#   to), then `smtp.login(user, password)` unless `smtp_skip_login`.
# - There is no timeout option, but unknown keyword arguments are passed to
#   `smtplib.SMTP`, whose `timeout=` covers the connection and every command
#   after it (STARTTLS keeps it): we pass `timeout=settings.smtp_timeout`.
# - A password of None makes it ask the OS keyring, then `getpass()` on the
#   terminal: a service would hang. We always pass a string.
# - It appends "@gmail.com" to a user given as a string without "@", and logs
#   in with that: an SMTP login such as "apikey" or "relay-user" would fail
#   (with `smtp_skip_login` and no user, the user becomes "@gmail.com"). A
#   one-entry dict {address: alias} is taken verbatim, so the user is given
#   that way. That user is also its From header and envelope sender, unused
#   here.
# - `send()` returns False instead of raising when the server disconnects:
#   it retries three times itself, sleeping 3 then 6 seconds, and keeps the
#   message in `self.unsent`. Other SMTP errors do raise.
# - Its message builder cannot carry distinct text and HTML bodies (both
#   parts get every content, newlines turned into <br>), runs premailer over
#   the HTML unless `prettify_html=False`, treats any content that is an
#   existing file path as an attachment, and `headers=` *adds* headers: a
#   "From" or "Message-ID" given there is duplicated by its own (it has a
#   `message_id=` argument for the latter).
# - Each `SMTP(...)` resets the "yagmail.log" logger to a stderr handler, and
#   at INFO it logs the SMTP user.
#
# So `SmtpTransport` uses yagmail for what it does well (connect, STARTTLS,
# login, with the service's options) and hands smtplib the message that
# `build_message` made, the same bytes the `.eml` transport writes.


class SmtpTransport(Transport):
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpTransport needs an SMTP host")
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._user = settings.smtp_user
        self._password = settings.smtp_password
        self._starttls = settings.smtp_starttls
        self._timeout = settings.smtp_timeout
        self._from = settings.mail_from
        self._envelope_from = parseaddr(settings.mail_from)[1] or settings.mail_from

    def __repr__(self) -> str:  # never show credentials
        return f"SmtpTransport({self._host}:{self._port})"

    def send(self, message: OutgoingMail) -> None:
        mime = build_message(message, self._from)
        login = self._user or self._envelope_from
        client = yagmail.SMTP(
            user={login: login},  # verbatim: see above
            password=self._password,
            host=self._host,
            port=self._port,
            smtp_starttls=self._starttls,
            smtp_ssl=False,
            smtp_skip_login=not self._user,
            soft_email_validation=False,
            timeout=self._timeout,
        )
        client.set_logging(None)  # we log ourselves, without the SMTP user
        try:
            client.login()
            refused = client.smtp.send_message(
                mime, from_addr=self._envelope_from, to_addrs=list(message.recipients)
            )
        except Exception as error:
            raise self._error(error) from None
        finally:
            _close_quietly(client)
        if refused:
            # Others accepted it (all refused raises above): sending again would
            # duplicate it for them. Delivered; the refusals are logged.
            codes = ", ".join(sorted({str(code) for code, _ in refused.values()}))
            log.warning(
                "mail message_id=%s kind=%s recipients_refused=%d codes=%s",
                message.message_id, message.kind, len(refused), codes,
            )

    def _error(self, error: Exception) -> TransportError:
        permanent, text = _classify(error)
        return TransportError(self._scrub(text), permanent=permanent)

    def _scrub(self, text: str) -> str:
        for secret in (self._password, self._user):
            if secret:
                text = text.replace(secret, "***")
        return text[:_ERROR_TEXT_MAX]


def _classify(error: BaseException) -> tuple[bool, str]:
    """(permanent, description) for an exception raised while talking SMTP.

    Codes decide: 5xx is permanent, 4xx temporary. Failures of the connection
    (refused, timeout, reset, DNS, TLS) are temporary. Authentication and
    STARTTLS problems are temporary too, although 535 is a 5xx: they are the
    service's configuration, not the message, and every message would fail
    the same way; kept pending, the mails go out once the operator fixes the
    settings (the give-up time still bounds the wait).
    """
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False, f"SMTP authentication failed ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return False, f"SMTP server does not support a required extension: {_reply(error)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        permanent = all(500 <= code < 600 for code in codes)
        details = "; ".join(f"{code} {_decode(reply)}" for code, reply in error.recipients.values())
        return permanent, f"all recipients refused: {details}"
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return 500 <= code < 600, f"{name}: {code} {_decode(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return False, f"{name}: {error}"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return False, "timed out talking to the SMTP server"
    if isinstance(error, ssl.SSLError):
        return False, f"TLS error: {error.reason or name}"
    if isinstance(error, OSError):  # smtplib's other errors are OSErrors too
        return False, f"{name}: {error.strerror or error}"
    # A bug or an unexpected library error: its text could hold anything.
    return False, f"unexpected {name}"


def _reply(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _decode(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _close_quietly(client: yagmail.SMTP) -> None:
    # yagmail's close() lets socket errors through; the outcome is already known.
    try:
        if client.smtp is not None:
            client.close()
    except (OSError, smtplib.SMTPException):
        pass
    client.is_closed = True  # its __del__ would try to quit again


# --- .eml files when no SMTP host is configured -----------------------------


class EmlTransport(Transport):
    """Writes `outbox/mail/<created>-<kind>-<id>.eml`: what would have been sent.

    The name depends only on the message, so a retry after a crash between
    writing and recording overwrites the same file instead of adding one.
    """

    carries_secrets = False

    def __init__(self, outbox: Path, *, mail_from: str = Settings.mail_from) -> None:
        self.directory = Path(outbox) / "mail"
        self._from = mail_from

    def path_for(self, message: OutgoingMail) -> Path:
        stamp = message.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        ident = re.sub(r"[^0-9A-Za-z]", "", message.message_id.split("@", 1)[0])
        return self.directory / f"{stamp}-{message.kind}-{ident}.eml"

    def send(self, message: OutgoingMail) -> None:
        if message.kind in SECRET_KINDS:
            # Never reached through dispatch (it does not claim them for us); a password is not left in clear.
            raise TransportError("a password waits for an SMTP server", permanent=False)
        data = build_message(message, self._from).as_bytes(policy=SMTP_POLICY)
        target = self.path_for(message)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Notices are for the Agence Virtuelle's staff to read in the outbox.
            write_atomic(target, data, mode=0o640)
        except OSError as error:
            raise TransportError(f"cannot write {target.name}: {error.strerror or error}") from None

