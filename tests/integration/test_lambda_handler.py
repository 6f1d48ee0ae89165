"""`entrypoints.lambda_handler.handler` driven with events shaped as AWS sends them.

The handler builds the app from environment variables on its first call and keeps it in
the module global `_adapter` (the warm container); every test starts cold.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from entrypoints import lambda_handler
from entrypoints.lambda_handler import _strip_stage, handler
from entrypoints.settings import SettingsError
from tests.integration.lambda_events import (
    EVENT_BUILDERS,
    SOURCE_IP,
    EventBuilder,
    LambdaContext,
    function_url_event,
    http_v2_event,
    named_stage_event,
    response_headers,
    response_json,
    rest_v1_event,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("cold_lambda")]

PASSWORD = "velvet harbor quantum meadow"
SIGN_UP = "/api/v1/auth/sign-up"
SIGN_IN = "/api/v1/auth/sign-in"
ME = "/api/v1/users/me"

builders = pytest.mark.parametrize("build", list(EVENT_BUILDERS.values()), ids=list(EVENT_BUILDERS))


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def invoke(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handler(event, context)


def sign_up_body(email: str = "ann@example.com") -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "name": "Ann"}


def assert_problem(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status, response.get("body")
    assert response_headers(response)["content-type"].startswith("application/problem+json")
    problem = response_json(response)
    assert problem["status"] == status
    assert {"type", "title", "status"} <= problem.keys()
    return problem


def sign_up_and_read_me(build: EventBuilder, context: LambdaContext) -> None:
    created = invoke(build("POST", SIGN_UP, body=sign_up_body()), context)
    assert created["statusCode"] == 201, created.get("body")
    payload = response_json(created)
    assert payload["user"]["email"] == "ann@example.com"
    assert payload["tokens"]["token_type"] == "Bearer"
    token = payload["tokens"]["access_token"]

    me = invoke(build("GET", ME, headers={"Authorization": f"Bearer {token}"}), context)

    assert me["statusCode"] == 200, me.get("body")
    assert response_json(me) == payload["user"]
    etag = response_headers(me)["etag"]
    assert re.fullmatch(r'"\d+-[0-9a-f]+"', etag)


# --- the flow through each event shape ---------------------------------------------------


def test_a_rest_api_proxy_event_signs_up_and_reads_the_user_with_its_token(
    context: LambdaContext,
) -> None:
    sign_up_and_read_me(rest_v1_event, context)


def test_an_http_api_event_on_the_default_stage_signs_up_and_reads_the_user(
    context: LambdaContext,
) -> None:
    sign_up_and_read_me(http_v2_event, context)


def test_a_function_url_event_signs_up_and_reads_the_user(context: LambdaContext) -> None:
    sign_up_and_read_me(function_url_event, context)


def test_an_http_api_event_on_a_named_stage_is_routed_without_the_stage_prefix(
    context: LambdaContext,
) -> None:
    sign_up_and_read_me(named_stage_event, context)


def test_the_named_stage_event_really_carries_the_stage_in_both_paths() -> None:
    event = named_stage_event("GET", ME)

    assert event["rawPath"] == "/prod/api/v1/users/me"
    assert event["requestContext"]["http"]["path"] == "/prod/api/v1/users/me"
    assert event["requestContext"]["stage"] == "prod"


@builders
def test_a_base64_encoded_json_body_is_decoded_before_the_app_reads_it(
    build: EventBuilder, context: LambdaContext
) -> None:
    event = build("POST", SIGN_UP, body=sign_up_body(), encode_base64=True)
    assert event["isBase64Encoded"] is True
    assert "ann@example.com" not in event["body"]

    response = invoke(event, context)

    assert response["statusCode"] == 201, response.get("body")
    assert response_json(response)["user"]["email"] == "ann@example.com"


def test_a_base64_encoded_body_signs_in_after_a_plain_sign_up(context: LambdaContext) -> None:
    assert invoke(rest_v1_event("POST", SIGN_UP, body=sign_up_body()), context)["statusCode"] == 201
    body = {"email": "ann@example.com", "password": PASSWORD}

    response = invoke(function_url_event("POST", SIGN_IN, body=body, encode_base64=True), context)

    assert response["statusCode"] == 200, response.get("body")
    assert response_json(response)["token_type"] == "Bearer"


# --- failures -----------------------------------------------------------------------------


@builders
def test_an_unknown_route_is_a_404_problem(build: EventBuilder, context: LambdaContext) -> None:
    response = invoke(build("GET", "/api/v1/nowhere"), context)

    problem = assert_problem(response, 404)
    assert problem["instance"] == "/api/v1/nowhere"


@builders
def test_reading_me_without_a_token_is_a_401_with_a_bearer_challenge(
    build: EventBuilder, context: LambdaContext
) -> None:
    response = invoke(build("GET", ME), context)

    assert_problem(response, 401)
    assert response_headers(response)["www-authenticate"].startswith("Bearer")


@builders
def test_reading_me_with_a_forged_token_is_a_401(
    build: EventBuilder, context: LambdaContext
) -> None:
    forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

    response = invoke(build("GET", ME, headers={"Authorization": f"Bearer {forged}"}), context)

    assert_problem(response, 401)


@builders
def test_a_post_with_an_unknown_field_is_a_422_problem(
    build: EventBuilder, context: LambdaContext
) -> None:
    body = {**sign_up_body(), "role": "admin"}

    response = invoke(build("POST", SIGN_UP, body=body), context)

    problem = assert_problem(response, 422)
    assert problem["errors"]


def test_a_base64_encoded_body_with_an_unknown_field_is_also_a_422(
    context: LambdaContext,
) -> None:
    body = {**sign_up_body(), "is_admin": True}

    response = invoke(rest_v1_event("POST", SIGN_UP, body=body, encode_base64=True), context)

    assert_problem(response, 422)


def test_a_taken_email_is_a_409_on_the_second_invocation_of_the_warm_container(
    context: LambdaContext,
) -> None:
    first = invoke(http_v2_event("POST", SIGN_UP, body=sign_up_body()), context)
    again = invoke(http_v2_event("POST", SIGN_UP, body=sign_up_body("ANN@example.com")), context)

    assert first["statusCode"] == 201
    assert_problem(again, 409)


# --- headers and response shape ------------------------------------------------------------


@builders
def test_every_response_carries_a_request_id_and_no_store(
    build: EventBuilder, context: LambdaContext
) -> None:
    for response in (
        invoke(build("GET", ME), context),
        invoke(build("POST", SIGN_UP, body=sign_up_body()), context),
        invoke(build("POST", SIGN_UP, body={"unexpected": 1}), context),
    ):
        headers = response_headers(response)
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nowhere", 404), ("GET", SIGN_UP, 405)],
    ids=["unknown-path", "wrong-method"],
)
def test_the_routers_own_errors_also_carry_the_request_id_and_nosniff(
    method: str, path: str, status: int, context: LambdaContext
) -> None:
    response = invoke(rest_v1_event(method, path), context)

    assert_problem(response, status)
    headers = response_headers(response)
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
    assert headers["x-content-type-options"] == "nosniff"


@builders
def test_a_sane_client_request_id_is_echoed(build: EventBuilder, context: LambdaContext) -> None:
    response = invoke(build("GET", ME, headers={"X-Request-ID": "client-req.42:a_b"}), context)

    assert response_headers(response)["x-request-id"] == "client-req.42:a_b"


@builders
def test_a_request_id_that_could_smuggle_log_lines_is_replaced(
    build: EventBuilder, context: LambdaContext
) -> None:
    response = invoke(build("GET", ME, headers={"X-Request-ID": "x y\tinjected"}), context)

    request_id = response_headers(response)["x-request-id"]
    assert request_id != "x y\tinjected"
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)


def test_the_rest_api_response_has_the_v1_proxy_shape(context: LambdaContext) -> None:
    response = invoke(rest_v1_event("GET", "/health"), context)

    assert response["statusCode"] == 200
    assert set(response) == {
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    }
    assert response["isBase64Encoded"] is False
    assert json.loads(response["body"]) == {"status": "ok"}


@builders
def test_a_problem_response_is_plain_json_text_not_base64(
    build: EventBuilder, context: LambdaContext
) -> None:
    # A REST API without binaryMediaTypes would hand a base64 body to the client verbatim.
    response = invoke(build("GET", ME), context)

    assert response["statusCode"] == 401
    assert response["isBase64Encoded"] is False
    assert json.loads(response["body"])["status"] == 401


def test_the_function_url_response_has_the_v2_shape(context: LambdaContext) -> None:
    response = invoke(function_url_event("GET", "/health"), context)

    assert response["statusCode"] == 200
    assert "multiValueHeaders" not in response
    assert response["isBase64Encoded"] is False
    assert response["headers"]["content-type"].startswith("application/json")
    assert json.loads(response["body"]) == {"status": "ok"}


def test_the_sign_in_log_line_names_the_source_ip_of_the_event_and_not_the_password(
    context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(rest_v1_event("POST", SIGN_UP, body=sign_up_body()), context)
    wrong = {"email": "ann@example.com", "password": "not the password at all"}
    forwarded = {"X-Forwarded-For": "198.51.100.99"}

    response = invoke(rest_v1_event("POST", SIGN_IN, body=wrong, headers=forwarded), context)

    assert_problem(response, 401)
    output = capsys.readouterr().out
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    sign_ins = [line for line in lines if line.get("event") == "sign_in"]
    assert sign_ins, output
    assert sign_ins[-1]["outcome"] == "failure"
    assert sign_ins[-1]["client_ip"] == SOURCE_IP
    assert "not the password at all" not in output
    assert PASSWORD not in output


# --- the cached app -----------------------------------------------------------------------


def test_the_app_is_built_on_the_first_call_and_reused_by_the_warm_container(
    context: LambdaContext,
) -> None:
    assert lambda_handler._adapter is None

    invoke(http_v2_event("GET", "/health"), context)
    built = lambda_handler._adapter
    invoke(rest_v1_event("GET", "/health"), context)

    assert built is not None
    assert lambda_handler._adapter is built


def test_a_cold_start_outside_local_without_a_jwt_secret_refuses_to_serve(
    monkeypatch: pytest.MonkeyPatch, context: LambdaContext
) -> None:
    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.delenv("JWT_SECRET")

    with pytest.raises(SettingsError, match="JWT_SECRET"):
        invoke(rest_v1_event("GET", "/health"), context)
    assert lambda_handler._adapter is None


# --- _strip_stage ---------------------------------------------------------------------------


def test_strip_stage_leaves_a_rest_api_event_untouched() -> None:
    event = rest_v1_event("GET", ME)

    assert _strip_stage(event) is event
    assert event["path"] == ME


def test_strip_stage_leaves_a_default_stage_http_api_event_untouched() -> None:
    event = http_v2_event("GET", ME)

    assert _strip_stage(event) is event


def test_strip_stage_leaves_a_function_url_event_untouched() -> None:
    event = function_url_event("GET", ME)

    assert _strip_stage(event) is event


def test_strip_stage_drops_the_named_stage_from_raw_path_without_mutating_the_event() -> None:
    event = named_stage_event("GET", ME)

    stripped = _strip_stage(event)

    assert stripped["rawPath"] == ME
    assert event["rawPath"] == "/prod" + ME


def test_strip_stage_drops_the_named_stage_from_the_path_mangum_routes_on() -> None:
    event = named_stage_event("GET", ME)

    stripped = _strip_stage(event)

    assert stripped["requestContext"]["http"]["path"] == ME
    assert stripped["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["http"]["path"] == "/prod" + ME


def test_strip_stage_maps_the_bare_stage_path_to_the_root() -> None:
    assert _strip_stage(named_stage_event("GET", "/"))["rawPath"] == "/"


def test_strip_stage_leaves_a_path_that_only_starts_with_the_stage_name() -> None:
    event = http_v2_event("GET", "/production/x")
    event["requestContext"]["stage"] = "prod"

    assert _strip_stage(event)["rawPath"] == "/production/x"
