"""`OtelTracer` with the SDK's in-memory exporter, and the OTLP/JSON exporter against a
local HTTP stand-in of a collector."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from observability.context import RequestContext, bind_request
from observability.tracing.otel import OtelTracer
from observability.tracing.otlp import OtlpJsonSpanExporter

pytestmark = pytest.mark.unit

ROOT = "1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"
PARENT = "53995c3f42cd8ad8"
HEADER = f"Root={ROOT};Parent={PARENT};Sampled=1"


@pytest.fixture
def exported() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exported: InMemorySpanExporter) -> Iterator[OtelTracer]:
    tracer = OtelTracer("auth", None, processor=SimpleSpanProcessor(exported))
    yield tracer
    tracer.shutdown()


def by_name(exported: InMemorySpanExporter) -> dict[str, Any]:
    return {span.name: span for span in exported.get_finished_spans()}


def test_the_request_continues_the_x_ray_trace_and_use_cases_are_its_children(
    tracer: OtelTracer, exported: InMemorySpanExporter
) -> None:
    with tracer.request("POST", HEADER) as request:
        with tracer.span("sign_in") as span:
            span.set_attribute("outcome", "ok")
        request.finish("/api/v1/auth/sign-in", 200)

    spans = by_name(exported)
    server, use_case = spans["POST /api/v1/auth/sign-in"], spans["sign_in"]
    assert server.kind is SpanKind.SERVER
    assert f"{server.context.trace_id:032x}" == ROOT[2:].replace("-", "")
    assert f"{server.parent.span_id:016x}" == PARENT
    assert use_case.parent.span_id == server.context.span_id
    assert use_case.attributes["outcome"] == "ok"
    assert server.attributes["http.route"] == "/api/v1/auth/sign-in"
    assert server.attributes["http.response.status_code"] == 200
    assert request.trace_id == ROOT


def test_new_traces_get_x_ray_compatible_ids_that_start_with_the_epoch_second(
    tracer: OtelTracer, exported: InMemorySpanExporter
) -> None:
    before = int(time.time())
    with tracer.request("GET", None) as request:
        request.finish("/health", 200)

    assert request.trace_id is not None
    epoch = int(request.trace_id.split("-")[1], 16)
    assert before <= epoch <= int(time.time())


def test_client_errors_leave_the_status_unset_and_server_errors_mark_it(
    tracer: OtelTracer, exported: InMemorySpanExporter
) -> None:
    for route, status in (("/four", 404), ("/five", 503)):
        with tracer.request("GET", None) as request:
            request.finish(route, status)

    spans = by_name(exported)
    assert spans["GET /four"].status.status_code is StatusCode.UNSET
    assert spans["GET /five"].status.status_code is StatusCode.ERROR


def test_an_unexpected_error_is_recorded_as_an_exception_event(
    tracer: OtelTracer, exported: InMemorySpanExporter
) -> None:
    with tracer.span("get_user") as span:
        span.record_error(RuntimeError("boom"))

    (recorded,) = exported.get_finished_spans()
    assert recorded.status.status_code is StatusCode.ERROR
    assert recorded.events[0].name == "exception"
    assert recorded.events[0].attributes["exception.type"] == "RuntimeError"


def test_the_user_attribute_names_the_requests_user(tracer: OtelTracer) -> None:
    context = RequestContext(request_id="r1")
    with bind_request(context), tracer.request("GET", None), tracer.span("authenticate") as span:
        span.set_attribute("enduser.id", "u-7")

    assert context.user_id == "u-7"


def test_mongodb_commands_are_client_spans_of_the_current_span(
    tracer: OtelTracer, exported: InMemorySpanExporter
) -> None:
    assert tracer.command_started("auth@db:27017", {}) is None  # no trace: skipped
    with tracer.span("get_user"):
        handle = tracer.command_started("auth@db:27017", {"db.operation": "find"})
        tracer.command_ended(handle, 900, failed=True)

    spans = by_name(exported)
    command = spans["auth@db:27017"]
    assert command.kind is SpanKind.CLIENT
    assert command.parent.span_id == spans["get_user"].context.span_id
    assert command.status.status_code is StatusCode.ERROR


def test_batched_spans_are_exported_when_flushed(exported: InMemorySpanExporter) -> None:
    tracer = OtelTracer("auth", None, processor=BatchSpanProcessor(exported))
    try:
        with tracer.span("sign_up"):
            pass
        tracer.flush()
        assert [s.name for s in exported.get_finished_spans()] == ["sign_up"]
    finally:
        tracer.shutdown()


# --- OTLP/HTTP with JSON -------------------------------------------------------------


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict[str, Any]]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Collector.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_otlp_exporter_posts_the_json_mapping_of_the_spans(collector: str) -> None:
    exporter = OtlpJsonSpanExporter(collector)
    tracer = OtelTracer("auth", None, processor=SimpleSpanProcessor(exporter))
    try:
        with tracer.request("GET", HEADER) as request:
            request.set_attribute("retries", 2)
            request.finish("/health", 200)
    finally:
        tracer.shutdown()

    ((path, content_type, body),) = Collector.received
    assert (path, content_type) == ("/v1/traces", "application/json")
    (resource_spans,) = body["resourceSpans"]
    attributes = {a["key"]: a["value"] for a in resource_spans["resource"]["attributes"]}
    assert attributes["service.name"] == {"stringValue": "auth"}
    ((span,),) = [s["spans"] for s in resource_spans["scopeSpans"]]
    assert span["traceId"] == ROOT[2:].replace("-", "")
    assert span["parentSpanId"] == PARENT
    assert span["kind"] == 2  # SERVER in OTLP's numbering
    assert span["name"] == "GET /health"
    span_attributes = {a["key"]: a["value"] for a in span["attributes"]}
    assert span_attributes["http.response.status_code"] == {"intValue": "200"}
    assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"]) > 0


def test_an_unreachable_collector_fails_the_export_without_raising() -> None:
    exporter = OtlpJsonSpanExporter("http://127.0.0.1:9", timeout_seconds=0.5)

    assert exporter.export([]) is SpanExportResult.FAILURE
