"""One process-wide pymongo command listener that turns each MongoDB command into a
child span of whatever span is current (X-Ray subsegment or OpenTelemetry span).

pymongo listeners are global and apply to clients created after registration, so the
listener is registered once and forwards to the tracer most recently instrumented.
Commands outside any trace (`app db init`, index creation) are skipped, and command
and reply documents are never recorded: they may hold password hashes and tokens.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class CommandSpans(Protocol):
    def command_started(self, name: str, attributes: dict[str, str | int]) -> Any | None:
        """A handle for the command's span, or None when there is no trace to join."""

    def command_ended(self, handle: Any, duration_micros: int, failed: bool) -> None: ...


_lock = threading.Lock()
_target: list[CommandSpans] = []


def instrument_pymongo(spans: CommandSpans) -> None:
    with _lock:
        if not _target:
            from pymongo import monitoring

            monitoring.register(_listener_class()())
            _target.append(spans)
        _target[0] = spans


def _listener_class() -> type[Any]:
    from pymongo import monitoring

    class TracingCommandListener(monitoring.CommandListener):
        def __init__(self) -> None:
            self._open: dict[tuple[Any, int], Any] = {}

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            host, port = event.connection_id
            attributes: dict[str, str | int] = {
                "db.system": "mongodb",
                "db.name": event.database_name,
                "db.operation": event.command_name,
                "net.peer.name": str(host),
                "net.peer.port": int(port or 0),
            }
            spans = _target[0]
            handle = spans.command_started(f"{event.database_name}@{host}:{port}", attributes)
            if handle is not None:
                self._open[(event.connection_id, event.request_id)] = (spans, handle)

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            self._end(event, failed=False)

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            self._end(event, failed=True)

        def _end(self, event: Any, *, failed: bool) -> None:
            opened = self._open.pop((event.connection_id, event.request_id), None)
            if opened is not None:
                spans, handle = opened
                spans.command_ended(handle, event.duration_micros, failed)

    return TracingCommandListener
