"""The round's mail step: the emails due sent through the transport of the settings (made once, when the
first round needs it)."""

from __future__ import annotations

from datetime import timedelta

from provisioner.mail import dispatch, sender
from provisioner.mail.transport import Transport
from provisioner.service.context import ServiceContext
from provisioner.service.intake import claimed_file


class MailDelivery:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._transport: Transport | None = None

    def send_due(self) -> int:
        """Send what the queue holds due now; returns how many went. Never raises: the queue keeps them."""
        try:
            if self._transport is None:
                self._transport = sender.make_transport(self.ctx.settings)
            counts = dispatch.send_due(
                self.ctx.engine, self._transport, now=self.ctx.clock(),
                give_up_after=timedelta(hours=self.ctx.settings.mail_give_up_hours))
        except Exception as error:  # never stops the loop: the queue keeps the messages
            claimed_file.log_failure("mail", "-", error)
            return 0
        return int(counts.sent)
