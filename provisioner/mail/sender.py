"""Which transport the service sends with: SMTP when a host is configured, `.eml` files otherwise."""

from __future__ import annotations

from provisioner.config import Settings
from provisioner.mail.eml_transport import EmlTransport
from provisioner.mail.smtp_transport import SmtpTransport
from provisioner.mail.transport import Transport


def make_transport(settings: Settings) -> Transport:
    """SMTP when a host is configured; otherwise `.eml` files under the outbox (spec)."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return EmlTransport(settings.outbox, mail_from=settings.mail_from)
