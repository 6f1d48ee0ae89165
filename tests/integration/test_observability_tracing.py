"""Traces through the whole app (a span per request and per use case) and of MongoDB
commands over the wire to a real nx-27017 server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_xray_sdk.core import AsyncAWSXRayRecorder
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pymongo import AsyncMongoClient

from adapters.mongo.embedded import EmbeddedMongo
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from observability.tracing.otel import OtelTracer
from observability.tracing.xray import XRayTracer
from tests.conftest import mongo_test_uri, unique_database
from tests.fakes import PlainPasswordHasher
from tests.unit.observability.test_xray_tracer import CapturingEmitter

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SIGN_UP = {"email": "ann@example.com", "password": "velvet harbor quantum meadow", "name": "A"}


@pytest.fixture
def exported() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def otel(exported: InMemorySpanExporter) -> Iterator[OtelTracer]:
    tracer = OtelTracer("auth", None, processor=SimpleSpanProcessor(exported))
    yield tracer
    tracer.shutdown()


async def test_with_opentelemetry_each_request_is_a_server_span_over_its_use_case_spans(
    settings: Settings, otel: OtelTracer, exported: InMemorySpanExporter
) -> None:
    services = build_services(settings, tracer=otel, hasher=PlainPasswordHasher())
    async with AsyncTestClient(create_app(services)) as client:
        tokens = (await client.post("/api/v1/auth/sign-up", json=SIGN_UP)).json()["tokens"]
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        await client.get("/api/v1/users/me", headers=headers)
        wrong = {"email": SIGN_UP["email"], "password": "x" * 20}
        await client.post("/api/v1/auth/sign-in", json=wrong)

    spans = {span.name: span for span in exported.get_finished_spans()}
    pairs = [
        ("POST /api/v1/auth/sign-up", "sign_up"),
        ("GET /api/v1/users/me", "authenticate"),
        ("POST /api/v1/auth/sign-in", "sign_in"),
    ]
    for server, use_case in pairs:
        assert spans[server].kind is SpanKind.SERVER
        assert spans[use_case].parent.span_id == spans[server].context.span_id
        assert spans[use_case].context.trace_id == spans[server].context.trace_id
    assert spans["sign_in"].attributes["outcome"] == "InvalidCredentialsError"
    assert spans["POST /api/v1/auth/sign-in"].attributes["http.response.status_code"] == 401


async def test_with_x_ray_each_request_is_a_segment_with_its_use_cases_as_subsegments(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    emitter, recorder = CapturingEmitter(), AsyncAWSXRayRecorder()
    tracer = XRayTracer("auth", recorder)
    recorder.configure(emitter=emitter)
    services = build_services(settings, tracer=tracer, hasher=PlainPasswordHasher())
    async with AsyncTestClient(create_app(services)) as client:
        await client.post("/api/v1/auth/sign-up", json=SIGN_UP)
        await client.get("/health")

    sign_up, health = emitter.documents
    assert sign_up["http"]["request"] == {"method": "POST", "url": "/api/v1/auth/sign-up"}
    assert [(s["name"], s["annotations"]["outcome"]) for s in sign_up["subsegments"]] == [
        ("sign_up", "ok")
    ]
    assert health["http"]["response"] == {"status": 200}
    assert "subsegments" not in health


async def test_mongodb_commands_over_the_wire_become_client_spans_without_documents(
    nx_server: EmbeddedMongo, exported: InMemorySpanExporter
) -> None:
    tracer = OtelTracer(
        "auth", None, processor=SimpleSpanProcessor(exported), instrument_mongo=True
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_test_uri(nx_server))
    database = client[unique_database()]
    try:
        await database.command("ping")  # outside any trace: no span
        with tracer.span("get_user"):
            await database["users"].insert_one({"password_hash": "$argon2id$secret"})
            await database["users"].find_one({"password_hash": "$argon2id$secret"})
    finally:
        await client.drop_database(database.name)
        await client.close()
        tracer.shutdown()

    spans = exported.get_finished_spans()
    commands = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert [s.attributes["db.operation"] for s in commands] == ["insert", "find"]
    parent = next(s for s in spans if s.name == "get_user")
    assert all(s.parent.span_id == parent.context.span_id for s in commands)
    assert all(
        s.name == f"{database.name}@{s.attributes['net.peer.name']}:{s.attributes['net.peer.port']}"
        for s in commands
    )
    assert "argon2id" not in json.dumps([dict(s.attributes) for s in commands])
