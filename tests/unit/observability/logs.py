"""Capture of the service's real log output (JSON lines), for observability tests."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

from observability.logging import configure_logging


class CapturedLogs:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]

    def service_text(self) -> str:
        """What the service logged (not the in-process test client, httpx)."""
        return "\n".join(line for line in self.text.splitlines() if '"logger": "httpx"' not in line)

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def configure(self, level: str = "DEBUG", *, pretty: bool = False) -> None:
        """(Re)apply the service's configuration with this buffer as stdout."""
        real, sys.stdout = sys.stdout, self.stream
        try:
            configure_logging(level, pretty=pretty)
        finally:
            sys.stdout = real


@contextlib.contextmanager
def capture_logs(level: str = "DEBUG") -> Iterator[CapturedLogs]:
    """The service's logging configuration writing into a buffer; the root logger (and
    Mangum's level) restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("mangum").level
    captured = CapturedLogs(io.StringIO())
    captured.configure(level)
    try:
        yield captured
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("mangum").setLevel(saved[2])
