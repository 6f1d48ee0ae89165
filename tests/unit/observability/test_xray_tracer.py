"""`XRayTracer` with a test emitter in place of the UDP one (nothing leaves the process)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aws_xray_sdk.core import AsyncAWSXRayRecorder

from observability.context import RequestContext, bind_request
from observability.tracing.xray import XRayTracer

pytestmark = pytest.mark.unit

ROOT = "1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"
PARENT = "53995c3f42cd8ad8"
HEADER = f"Root={ROOT};Parent={PARENT};Sampled=1"


class CapturingEmitter:
    """Keeps what the recorder would send to the X-Ray daemon, as the daemon gets it."""

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.documents.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address: str) -> None:
        pass


def flatten(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every entity sent, by name, with `parent_id` filled in for nested ones."""
    found: dict[str, dict[str, Any]] = {}

    def walk(entity: dict[str, Any], parent: str | None) -> None:
        entity.setdefault("parent_id", parent)
        found[entity["name"]] = entity
        for child in entity.get("subsegments", []):
            walk(child, entity["id"])

    for document in documents:
        walk(document, document.get("parent_id"))
    return found


@pytest.fixture
def emitter() -> CapturingEmitter:
    return CapturingEmitter()


@pytest.fixture
def lambda_tracer(monkeypatch: pytest.MonkeyPatch, emitter: CapturingEmitter) -> XRayTracer:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", HEADER)
    recorder = AsyncAWSXRayRecorder()
    recorder.configure(emitter=emitter)
    return XRayTracer("auth", recorder)


@pytest.fixture
def local_tracer(monkeypatch: pytest.MonkeyPatch, emitter: CapturingEmitter) -> XRayTracer:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    recorder = AsyncAWSXRayRecorder()
    tracer = XRayTracer("auth", recorder)
    recorder.configure(emitter=emitter)
    return tracer


def test_on_lambda_spans_are_subsegments_under_the_functions_facade_segment(
    lambda_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    assert lambda_tracer.in_lambda
    with lambda_tracer.request("POST", HEADER) as request:
        with lambda_tracer.span("sign_in") as span:
            span.set_attribute("outcome", "ok")
        request.finish("/api/v1/auth/sign-in", 200)

    entities = flatten(emitter.documents)
    http, use_case = entities["POST /api/v1/auth/sign-in"], entities["sign_in"]
    assert http["parent_id"] == PARENT
    assert http["trace_id"] == use_case["trace_id"] == ROOT
    assert use_case["parent_id"] == http["id"]
    assert use_case["annotations"] == {"outcome": "ok"}
    assert http["http"] == {
        "request": {"method": "POST", "url": "/api/v1/auth/sign-in"},
        "response": {"status": 200},
    }
    assert request.trace_id == ROOT


def test_locally_each_request_is_a_segment_continuing_the_callers_trace(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    with local_tracer.request("GET", HEADER) as request:
        with local_tracer.span("authenticate"):
            pass
        request.finish("/api/v1/users/me", 404)

    (segment,) = emitter.documents
    assert (segment["name"], segment["trace_id"], segment["parent_id"]) == ("auth", ROOT, PARENT)
    assert segment["error"] is True
    assert segment["http"]["response"] == {"status": 404}
    assert [s["name"] for s in segment["subsegments"]] == ["authenticate"]


def test_a_request_without_a_trace_header_starts_a_new_trace(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    with local_tracer.request("GET", None) as request:
        request.finish("/health", 200)

    (segment,) = emitter.documents
    assert segment["trace_id"].startswith("1-")
    assert request.trace_id == segment["trace_id"]
    assert "parent_id" not in segment


def test_a_caller_that_did_not_sample_gets_no_segment_sent(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    with local_tracer.request("GET", f"Root={ROOT};Parent={PARENT};Sampled=0") as request:
        with local_tracer.span("authenticate") as span:
            span.set_attribute("outcome", "ok")
        request.finish("/health", 200)

    assert emitter.documents == []


def test_an_unexpected_error_is_a_fault_with_the_exception_recorded(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    def serve() -> None:
        with local_tracer.request("GET", None) as request:
            with local_tracer.span("get_user") as span:
                span.record_error(RuntimeError("boom"))
            request.finish("/api/v1/users/{user_id}", 500)
            raise RuntimeError("escaped")

    with pytest.raises(RuntimeError, match="escaped"):
        serve()

    (segment,) = emitter.documents
    assert segment["fault"] is True
    (use_case,) = segment["subsegments"]
    assert use_case["fault"] is True
    assert use_case["cause"]["exceptions"][0]["type"] == "RuntimeError"


def test_span_attributes_become_searchable_annotations_and_name_the_requests_user(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    context = RequestContext(request_id="r1")
    with bind_request(context), local_tracer.request("GET", None) as request:
        with local_tracer.span("authenticate") as span:
            span.set_attribute("enduser.id", "u-42")
        request.finish("/api/v1/users/me", 200)

    assert context.user_id == "u-42"
    assert emitter.documents[0]["subsegments"][0]["annotations"] == {"enduser_id": "u-42"}


def test_concurrent_requests_on_one_event_loop_keep_their_own_segments(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    async def serve(name: str) -> None:
        with local_tracer.request("GET", None) as request:
            with local_tracer.span(name):
                await asyncio.sleep(0.01)
            request.finish(f"/{name}", 200)

    async def both() -> None:
        await asyncio.gather(serve("one"), serve("two"))

    asyncio.run(both())

    children = {
        d["http"]["request"]["url"]: [s["name"] for s in d["subsegments"]]
        for d in emitter.documents
    }
    assert children == {"/one": ["one"], "/two": ["two"]}
    assert len({d["trace_id"] for d in emitter.documents}) == 2


def test_mongodb_commands_become_remote_subsegments_without_their_documents(
    local_tracer: XRayTracer, emitter: CapturingEmitter
) -> None:
    attributes: dict[str, str | int] = {"db.system": "mongodb", "db.operation": "find"}
    with local_tracer.request("GET", None) as request:
        handle = local_tracer.command_started("auth@db:27017", attributes)
        local_tracer.command_ended(handle, 1500, failed=False)
        request.finish("/api/v1/users/me", 200)

    (command,) = emitter.documents[0]["subsegments"]
    assert command["name"] == "auth@db:27017"
    assert command["namespace"] == "remote"
    assert command["annotations"] == {
        "db_system": "mongodb",
        "db_operation": "find",
        "duration_micros": 1500,
    }


def test_mongodb_commands_outside_any_trace_are_skipped(local_tracer: XRayTracer) -> None:
    assert local_tracer.command_started("auth@db:27017", {}) is None
