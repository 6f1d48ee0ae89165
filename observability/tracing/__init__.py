"""Tracer adapters behind the application's `Tracer` port, plus the request span the
HTTP layer opens around each request. `build_tracer` imports an adapter only when it is
selected: with `TRACER=none` neither the X-Ray nor the OpenTelemetry SDK is loaded.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from application.ports.tracer import Span, Tracer

TRACERS = ("none", "xray", "otel")


class RequestSpan(Span, Protocol):
    @property
    def trace_id(self) -> str | None:
        """The X-Ray form of the trace id (`1-xxxxxxxx-yyyy…`), when there is a trace."""

    def finish(self, route: str, status: int) -> None:
        """Name the span for its route and record the response status."""


class RequestTracer(Tracer, Protocol):
    def request(self, method: str, trace_header: str | None) -> AbstractContextManager[RequestSpan]:
        """The span of one HTTP request, continuing the trace of an X-Ray header if any."""

    def flush(self) -> None:
        """Export what is buffered (called at the end of every Lambda invocation)."""


@dataclass(frozen=True, slots=True)
class TracerConfig:
    kind: str = "none"
    service_name: str = "serverless-auth"
    instrument_mongo: bool = False
    otel_exporter: str = "otlp"
    otel_endpoint: str = "http://localhost:4318"


def build_tracer(config: TracerConfig) -> RequestTracer:
    if config.kind == "xray":
        from observability.tracing.xray import XRayTracer

        return XRayTracer(config.service_name, instrument_mongo=config.instrument_mongo)
    if config.kind == "otel":
        from observability.tracing.otel import OtelTracer, exporter_for

        return OtelTracer(
            config.service_name,
            exporter_for(config.otel_exporter, config.otel_endpoint),
            instrument_mongo=config.instrument_mongo,
        )
    if config.kind != "none":
        raise ValueError(f"unknown tracer {config.kind!r}; expected one of {', '.join(TRACERS)}")
    from observability.tracing.noop import NoopTracer

    return NoopTracer()
