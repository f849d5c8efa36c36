"""A real SMTP server for the tests: aiosmtpd on a free port of 127.0.0.1, in a thread."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Recorder:
    """aiosmtpd handler: keeps every message accepted; `reply` forces an answer to DATA."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.reply: str | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reply is not None:
            return self.reply
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.original_content or b"", policy=policy.default)
            for e in self.messages
        ]


class SmtpServer:
    """An SMTP server on a free port of 127.0.0.1, started and stopped at will."""

    def __init__(self, port: int, **smtp_options: Any) -> None:
        self.port = port
        self.handler = Recorder()
        self._options = smtp_options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self._options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
