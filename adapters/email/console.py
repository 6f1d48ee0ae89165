"""Prints each email to the terminal: the local default, so no mail service is needed."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from application.ports.email_sender import EmailMessage

logger = logging.getLogger("email.console")

_RULE = "=" * 72


class ConsoleEmailSender:
    """Writes the plain-text message to stderr (or `stream`) in a framed block.

    The framed block contains the link, and so the one-time token: that is the point
    (a developer copies it from the terminal) and the deliberate exception to the rule
    that tokens never reach logs. It is written to the stream, not through `logging`,
    so no log handler or shipper ever sees it; the log record says only that an email
    went to a domain, with its subject. Never configure this sender where the stream is
    collected (Lambda sends stderr to CloudWatch Logs).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, message: EmailMessage) -> None:
        # Resolved per call, so a redirected or captured stderr is honoured.
        stream = self._stream or sys.stderr
        stream.write(
            f"{_RULE}\nTo: {message.to}\nSubject: {message.subject}\n\n"
            f"{message.text.rstrip()}\n{_RULE}\n"
        )
        stream.flush()
        logger.info(
            "email_sent",
            extra={"to_domain": message.to.rpartition("@")[2], "subject": message.subject},
        )
