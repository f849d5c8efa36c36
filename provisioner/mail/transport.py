"""Transports: how a queued message leaves the service.

`Transport.send(message)` returns when the message is delivered (handed to the
SMTP server, or written as an `.eml` file; never one that carries a password,
which waits for an SMTP server) and raises `TransportError` when it
is not: `permanent=False` means "try again later", `permanent=True` means
"this message will never go". Delivery failures become stored state in the
queue (see `dispatch`), never crashes. `sender.make_transport` chooses one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


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
