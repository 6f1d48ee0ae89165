"""AWS SES (v2 API) delivery, for deployed environments."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from adapters.aws import error_code
from application.ports.email_sender import EmailDeliveryError, EmailMessage

logger = logging.getLogger("email.ses")

_CHARSET = "UTF-8"


class SesEmailSender:
    """Sends through SES `SendEmail` from the verified identity `sender`.

    boto3 is imported and the client built on the first send, not at import or start-up:
    both cost a noticeable part of a Lambda cold start, and most requests send no email.
    The client is then reused (it is thread-safe and keeps its connection pool). The
    blocking call runs in a worker thread so the event loop keeps serving.

    Any failure becomes `EmailDeliveryError`. botocore's messages can quote the request,
    and so the link and its token: only the exception class and the AWS error code are
    logged or put in the raised error.
    """

    def __init__(
        self,
        sender: str,
        region: str | None = None,
        configuration_set: str | None = None,
        client: Any = None,
    ) -> None:
        self._sender = sender
        self._region = region
        self._configuration_set = configuration_set
        self._client = client
        self._client_lock = threading.Lock()

    async def send(self, message: EmailMessage) -> None:
        request = self._request(message)
        try:
            response = await asyncio.to_thread(self._send_sync, request)
        except Exception as exc:
            code = error_code(exc)
            logger.warning(
                "email_delivery_failed",
                extra={"error_type": type(exc).__name__, "error_code": code},
            )
            raise EmailDeliveryError(f"SES did not accept the message ({code})") from None
        logger.info(
            "email_sent",
            extra={
                "to_domain": message.to.rpartition("@")[2],
                "subject": message.subject,
                "message_id": response.get("MessageId") if isinstance(response, dict) else None,
            },
        )

    def _request(self, message: EmailMessage) -> dict[str, Any]:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": _CHARSET},
                    "Body": {
                        "Text": {"Data": message.text, "Charset": _CHARSET},
                        "Html": {"Data": message.html, "Charset": _CHARSET},
                    },
                }
            },
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return request

    def _send_sync(self, request: dict[str, Any]) -> Any:
        return self._get_client().send_email(**request)

    def _get_client(self) -> Any:
        # Runs in worker threads: the lock keeps concurrent first sends to one client.
        with self._client_lock:
            if self._client is None:
                import boto3  # type: ignore[import-untyped]
                from botocore.config import Config  # type: ignore[import-untyped]

                # Short timeouts: a request waiting on a stuck mail API is worse than a
                # clear failure the caller can handle.
                config = Config(
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                self._client = boto3.client("sesv2", region_name=self._region, config=config)
            return self._client
