"""structlog JSON lines on stdout (CloudWatch's input on Lambda), pretty in a terminal.

The application logs through the standard library with explicit `extra` fields only;
request bodies, passwords, tokens and hashes are never passed to a logger, and as a
second line of defence any field whose name says it holds one is masked. Every line
written during a request carries its request id, Lambda request id and X-Ray trace id.
Exceptions are rendered with their traceback here, and only here.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from observability.context import current_request

REDACTED = "[redacted]"
# Field names that may never carry their value into a log line (compared lowercased).
SECRET_FIELDS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "password_hash",
        "token",
        "access_token",
        "refresh_token",
        "token_hash",
        "authorization",
        "cookie",
        "secret",
        "jwt_secret",
        "private_key",
        "body",
        "data",
    }
)


def redact_secrets(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in event:
        if key.lower() in SECRET_FIELDS:
            event[key] = REDACTED
    return event


def add_request_context(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request = current_request()
    if request is not None:
        event.setdefault("request_id", request.request_id)
        if request.lambda_request_id:
            event.setdefault("lambda_request_id", request.lambda_request_id)
        if request.trace_id:
            event.setdefault("trace_id", request.trace_id)
    return event


def configure_logging(level: str = "INFO", *, pretty: bool | None = None) -> None:
    pretty = sys.stdout.isatty() if pretty is None else pretty
    shared: list[structlog.types.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        add_request_context,
        redact_secrets,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if pretty else structlog.processors.JSONRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Mangum logs every invocation at INFO (and costs time): keep only its warnings.
    logging.getLogger("mangum").setLevel(logging.WARNING)
    # The X-Ray SDK warns about every subsegment it cannot attach while Lambda initialises.
    logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
