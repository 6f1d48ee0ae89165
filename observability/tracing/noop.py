"""The tracer for `TRACER=none`: no SDK, no export; it still tells the access log which
user a request acted for and which X-Ray trace (from the incoming header) it belongs to."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from application.ports.tracer import AttributeValue
from observability.context import note_attribute, xray_trace_id


class NoopSpan:
    __slots__ = ("trace_id",)

    def __init__(self, trace_id: str | None = None) -> None:
        self.trace_id = trace_id

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        note_attribute(key, value)

    def record_error(self, error: BaseException) -> None:
        pass

    def finish(self, route: str, status: int) -> None:
        pass


_SPAN = NoopSpan()


class NoopTracer:
    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[NoopSpan]:
        yield _SPAN

    @contextlib.contextmanager
    def request(self, method: str, trace_header: str | None) -> Iterator[NoopSpan]:
        yield NoopSpan(xray_trace_id(trace_header))

    def flush(self) -> None:
        pass
