"""The SMTP transport (yagmail for the connection, smtplib for the message).

Neither the SMTP user nor its password ever appears in an exception message
or a log line: messages are built from error codes and server replies, with
both scrubbed, and no SMTP exception is chained (`from None`).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.utils import parseaddr

import yagmail

from provisioner.config import Settings
from provisioner.mail.mime import build_message
from provisioner.mail.transport import OutgoingMail, Transport, TransportError

log = logging.getLogger(__name__)

_ERROR_TEXT_MAX = 300

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
