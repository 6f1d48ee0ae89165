"""`OtelTracer`: spans through the OpenTelemetry SDK, in X-Ray's shape.

The X-Ray id generator makes trace ids X-Ray accepts (their first 32 bits are the
start time), and the X-Ray propagator continues the trace of the Lambda invocation
(`_X_AMZN_TRACE_ID`) or of an `X-Amzn-Trace-Id` header. Spans are batched and exported
at the end of each Lambda invocation (`flush`), before the container freezes. This is
the path AWS recommends now that the X-Ray SDK is in maintenance mode.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.trace import SpanKind, Status, StatusCode

from application.ports.tracer import AttributeValue
from observability.context import note_attribute
from observability.tracing.mongo import instrument_pymongo
from observability.tracing.otlp import OtlpJsonSpanExporter

SCOPE = "serverless-auth"


def exporter_for(kind: str, endpoint: str) -> SpanExporter | None:
    if kind == "otlp":
        return OtlpJsonSpanExporter(endpoint)
    if kind == "console":
        # One compact JSON line per span: readable in CloudWatch, no multi-line records.
        return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + os.linesep)
    return None


def xray_trace_id(trace_id: int) -> str:
    hex_id = f"{trace_id:032x}"
    return f"1-{hex_id[:8]}-{hex_id[8:]}"


class OtelSpan:
    def __init__(self, span: trace.Span) -> None:
        self._span = span

    @property
    def trace_id(self) -> str | None:
        context = self._span.get_span_context()
        return xray_trace_id(context.trace_id) if context.is_valid else None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        note_attribute(key, value)
        self._span.set_attribute(key, value)

    def record_error(self, error: BaseException) -> None:
        self._span.record_exception(error)
        self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))

    def finish(self, route: str, status: int) -> None:
        method = (getattr(self._span, "attributes", None) or {}).get("http.request.method", "")
        self._span.update_name(f"{method} {route}".strip())
        self._span.set_attribute("http.route", route)
        self._span.set_attribute("http.response.status_code", status)
        if status >= 500:  # 4xx is the client's doing: not an error of a server span
            self._span.set_status(Status(StatusCode.ERROR))


class OtelTracer:
    def __init__(
        self,
        service_name: str,
        exporter: SpanExporter | None,
        *,
        processor: SpanProcessor | None = None,
        instrument_mongo: bool = False,
    ) -> None:
        resource = Resource.create({"service.name": service_name, "cloud.provider": "aws"})
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and os.environ.get("AWS_REGION"):
            from opentelemetry.sdk.extension.aws.resource import AwsLambdaResourceDetector

            resource = resource.merge(AwsLambdaResourceDetector().detect())
        self.provider = TracerProvider(resource=resource, id_generator=AwsXRayIdGenerator())
        if processor is None and exporter is not None:
            processor = BatchSpanProcessor(exporter)
        if processor is not None:
            self.provider.add_span_processor(processor)
        self._tracer = self.provider.get_tracer(SCOPE)
        self._propagator = AwsXRayPropagator()
        if instrument_mongo:
            instrument_pymongo(self)

    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[OtelSpan]:
        with self._tracer.start_as_current_span(
            name, record_exception=False, set_status_on_exception=False
        ) as span:
            yield OtelSpan(span)

    @contextlib.contextmanager
    def request(self, method: str, trace_header: str | None) -> Iterator[OtelSpan]:
        parent = (
            self._propagator.extract({"X-Amzn-Trace-Id": trace_header}) if trace_header else None
        )
        with self._tracer.start_as_current_span(
            f"{method} request",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            wrapped = OtelSpan(span)
            try:
                yield wrapped
            except BaseException as exc:
                wrapped.record_error(exc)
                raise

    def flush(self) -> None:
        self.provider.force_flush(timeout_millis=2000)

    def shutdown(self) -> None:
        self.provider.shutdown()

    # -- pymongo commands (observability/tracing/mongo.py) ----------------------------

    def command_started(self, name: str, attributes: dict[str, str | int]) -> Any | None:
        if not trace.get_current_span().get_span_context().is_valid:
            return None
        return self._tracer.start_span(
            name, context=otel_context.get_current(), kind=SpanKind.CLIENT, attributes=attributes
        )

    def command_ended(self, handle: Any, duration_micros: int, failed: bool) -> None:
        if failed:
            handle.set_status(Status(StatusCode.ERROR))
        handle.end()
