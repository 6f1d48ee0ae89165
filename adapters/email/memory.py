"""An outbox that keeps every message: the email sender for tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from application.ports.email_sender import EmailDeliveryError, EmailMessage

_URL = re.compile(r"https?://[^\s<>\"']+")
# Sentence punctuation after a URL in running text is not part of it.
_TRAILING = ".,;:!?)]}"


@dataclass
class InMemoryEmailSender:
    """Records sent messages in `outbox`, in order.

    Set `fail_next` to make that many upcoming sends raise `EmailDeliveryError` (the
    failed messages are not recorded, as a mail service would not have accepted them),
    to exercise what a use case does when delivery fails.
    """

    outbox: list[EmailMessage] = field(default_factory=list)
    fail_next: int = 0

    async def send(self, message: EmailMessage) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise EmailDeliveryError("simulated delivery failure")
        self.outbox.append(message)

    def sent_to(self, address: str) -> list[EmailMessage]:
        """Messages to `address` (case-insensitive, as mailbox lookups are in practice)."""
        wanted = address.casefold()
        return [message for message in self.outbox if message.to.casefold() == wanted]

    def last_to(self, address: str) -> EmailMessage:
        """The latest message to `address`; `LookupError` when none was sent."""
        messages = self.sent_to(address)
        if not messages:
            raise LookupError(f"no email was sent to {address}")
        return messages[-1]

    def links(self, address: str) -> list[str]:
        """Every http(s) URL in the plain-text bodies sent to `address`, in order."""
        return [
            url.rstrip(_TRAILING)
            for message in self.sent_to(address)
            for url in _URL.findall(message.text)
        ]
