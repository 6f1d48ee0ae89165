from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str


class EmailSender(Protocol):
    """Delivers transactional email (verification and reset links).

    Raises `EmailDeliveryError` when the message could not be handed over; callers
    decide whether that fails the request (it never reveals whether an account exists).
    """

    async def send(self, message: EmailMessage) -> None: ...


class EmailDeliveryError(Exception):
    """The message could not be handed to the mail service."""
