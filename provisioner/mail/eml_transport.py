"""The `.eml` files transport, when no SMTP host is configured."""

from __future__ import annotations

import re
from datetime import UTC
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from provisioner.config import Settings
from provisioner.mail.mime import build_message
from provisioner.mail.render import SECRET_KINDS
from provisioner.mail.transport import OutgoingMail, Transport, TransportError
from provisioner.reports.files import write_atomic


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
