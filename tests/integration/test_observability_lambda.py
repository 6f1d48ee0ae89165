"""On Lambda: the access line names the AWS request id and the X-Ray trace of the
invocation, and each invocation writes exactly one EMF line, flushed before returning."""

from __future__ import annotations

import json

import pytest

from entrypoints import lambda_handler
from tests.integration.lambda_events import LambdaContext, http_v2_event, rest_v1_event
from tests.unit.observability.emf_spec import emf_lines

pytestmark = pytest.mark.integration

ROOT = "1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"
TRACE_HEADER = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"


@pytest.fixture(autouse=True)
def traced_lambda(deployed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold container of a function named auth-api-prod, inside an X-Ray trace."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "auth-api-prod")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER)


def test_each_invocation_logs_its_aws_request_id_and_trace_and_writes_one_emf_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = LambdaContext(), LambdaContext()

    lambda_handler.handler(http_v2_event("GET", "/health"), first)
    lambda_handler.handler(rest_v1_event("GET", "/api/v1/users/me"), second)

    output = capsys.readouterr().out
    access = [json.loads(line) for line in output.splitlines() if '"logger": "http.access"' in line]
    assert [(a["route"], a["status"]) for a in access] == [
        ("/health", 200),
        ("/api/v1/users/me", 401),
    ]
    assert [a["lambda_request_id"] for a in access] == [
        first.aws_request_id,
        second.aws_request_id,
    ]
    assert {a["trace_id"] for a in access} == {ROOT}
    documents = emf_lines(output)
    assert [d["Route"] for d in documents] == ["/health", "/api/v1/users/me"]
    assert {d["Service"] for d in documents} == {"auth-api-prod"}  # the function's name


def test_metrics_can_be_turned_off_on_lambda(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("METRICS", "none")

    lambda_handler.handler(http_v2_event("GET", "/health"), LambdaContext())

    assert emf_lines(capsys.readouterr().out) == []


def test_the_tracer_is_flushed_after_every_invocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flushed: list[int] = []
    lambda_handler.handler(http_v2_event("GET", "/health"), LambdaContext())
    monkeypatch.setattr(lambda_handler, "_flush", lambda: flushed.append(1))

    lambda_handler.handler(http_v2_event("GET", "/health"), LambdaContext())
    lambda_handler.handler(http_v2_event("GET", "/nowhere"), LambdaContext())

    assert flushed == [1, 1]
