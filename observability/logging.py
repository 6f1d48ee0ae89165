"""structlog JSON lines on stdout (CloudWatch's input on Lambda), pretty in a terminal.

The application logs through the standard library with explicit `extra` fields only;
request bodies, passwords, tokens and hashes are never passed to a logger.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO", *, pretty: bool | None = None) -> None:
    pretty = sys.stdout.isatty() if pretty is None else pretty
    shared: list[structlog.types.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
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
