"""One canonical path per resource (issue 17): doubled slashes, dot segments and their
percent-encoded forms answer 404 and reach no route, over HTTP and through every Lambda
event shape, so that rules outside the app that compare paths as sent (the WAF's rate
rule on `/api/v1/auth`) see what the app routes. The site's pages and assets still
load, with or without a trailing slash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from litestar import Litestar

from adapters.security.argon2_hasher import Argon2PasswordHasher
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.http.static import FRONTEND_DIR_ENV
from entrypoints.lambda_handler import handler
from entrypoints.settings import Settings
from tests.conftest import STRONG_PASSWORD, MakeUser
from tests.integration.lambda_events import (
    EVENT_BUILDERS,
    EventBuilder,
    LambdaContext,
    response_headers,
    response_json,
)
from tests.integration.raw_asgi import RawRequest, RawResponse, send_raw

pytestmark = pytest.mark.integration

CREDENTIALS = {"email": "ann@example.com", "password": STRONG_PASSWORD}
SIGN_IN = "/api/v1/auth/sign-in"
NON_CANONICAL_SIGN_IN = [
    "/api/v1//auth/sign-in",
    "/api//v1/auth/sign-in",
    "//api/v1/auth/sign-in",
    "/api/v1/auth//sign-in",
    "/api/v1/auth/sign-in//",
    "/api/v1/./auth/sign-in",
    "/api/v1/auth/./sign-in",
    "/api/v1/auth/sign-in/.",
    "/api/v1/x/../auth/sign-in",
    "/api/v1/auth/x/../sign-in",
    "/api/v2/../v1/auth/sign-in",
    "/api/v1/%2e/auth/sign-in",
    "/api/v1/%2E%2E/v1/auth/sign-in",
    "/api/v1/auth/sign-in/%2e",
    "/api%2Fv1/auth/sign-in",
    "/api/v1/auth%2fsign-in",
    "/api/v1/auth%5Csign-in",
]


@pytest.fixture
async def app(services: Services, make_user: MakeUser) -> Litestar:
    await make_user(email=CREDENTIALS["email"])
    return create_app(services)


@pytest.fixture
def services(settings: Settings, argon2_hasher: Argon2PasswordHasher) -> Services:
    return build_services(settings, hasher=argon2_hasher)


def sign_in(path: bytes) -> RawRequest:
    body = json.dumps(CREDENTIALS).encode()
    return RawRequest(
        "POST", path, headers=[(b"content-type", b"application/json")], body_chunks=[body]
    )


def assert_not_found(response: RawResponse) -> None:
    assert response.status == 404, response.body
    assert response.header(b"content-type") == b"application/problem+json"
    assert json.loads(response.body)["status"] == 404
    assert b"access_token" not in response.body
    assert response.header(b"x-content-type-options") == b"nosniff"
    assert response.header(b"x-request-id")


# --- over HTTP -------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("path", NON_CANONICAL_SIGN_IN)
async def test_a_non_canonical_path_is_a_404_and_signs_nobody_in(app: Litestar, path: str) -> None:
    assert_not_found(await send_raw(app, sign_in(path.encode())))


@pytest.mark.anyio
@pytest.mark.parametrize("path", [SIGN_IN, SIGN_IN + "/"])
async def test_the_canonical_path_signs_in(app: Litestar, path: str) -> None:
    response = await send_raw(app, sign_in(path.encode()))

    assert response.status == 200, response.body
    assert b"access_token" in response.body


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path", ["/api/v1/users/me%2Fsessions", "/api/v1/users/me%2fsessions", "/api/v1/users/%2e%2e"]
)
async def test_an_encoded_separator_never_reaches_another_route(
    app: Litestar, services: Services, path: str
) -> None:
    signed_in = await send_raw(app, sign_in(SIGN_IN.encode()))
    token = json.loads(signed_in.body)["access_token"]

    response = await send_raw(
        app,
        RawRequest("GET", path.encode(), headers=[(b"authorization", f"Bearer {token}".encode())]),
    )

    assert_not_found(response)


# --- through Lambda events ------------------------------------------------------------------


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, LambdaContext())


@pytest.mark.usefixtures("cold_lambda")
@pytest.mark.parametrize("build", list(EVENT_BUILDERS.values()), ids=list(EVENT_BUILDERS))
@pytest.mark.parametrize("path", NON_CANONICAL_SIGN_IN)
def test_a_non_canonical_path_in_a_lambda_event_is_a_404(build: EventBuilder, path: str) -> None:
    # API Gateway REST events and Function URLs carry the path percent-encoded, HTTP API
    # events decoded: both spellings are refused, but for an encoded slash, which decoded
    # is the canonical path itself (the WAF, on REST APIs only, sees it encoded).
    for spelled in {path, unquote(path)} - {SIGN_IN}:
        response = invoke(build("POST", spelled, body=CREDENTIALS))

        assert response["statusCode"] == 404, (spelled, response.get("body"))
        assert response_headers(response)["content-type"] == "application/problem+json"
        assert "access_token" not in response_json(response)


@pytest.mark.usefixtures("cold_lambda")
@pytest.mark.parametrize("build", list(EVENT_BUILDERS.values()), ids=list(EVENT_BUILDERS))
def test_the_canonical_path_in_a_lambda_event_signs_in(build: EventBuilder) -> None:
    invoke(build("POST", "/api/v1/auth/sign-up", body={**CREDENTIALS, "name": "Ann"}))

    response = invoke(build("POST", SIGN_IN, body=CREDENTIALS))

    assert response["statusCode"] == 200, response.get("body")


# --- the site is unaffected -----------------------------------------------------------------


@pytest.fixture
async def site(tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    out = tmp_path / "out"
    (out / "sign-in").mkdir(parents=True)
    (out / "_next" / "static" / "chunks").mkdir(parents=True)
    (out / "index.html").write_text("<!DOCTYPE html><title>Home</title>")
    (out / "sign-in" / "index.html").write_text("<!DOCTYPE html><title>Sign in</title>")
    (out / "_next" / "static" / "chunks" / "app.js").write_text("console.log('app')")
    monkeypatch.setenv(FRONTEND_DIR_ENV, str(out))
    return create_app(services)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", b"Home"),
        ("/sign-in/", b"Sign in"),
        ("/_next/static/chunks/app.js", b"console.log"),
    ],
)
async def test_the_sites_pages_and_assets_still_load(
    site: Litestar, path: str, marker: bytes
) -> None:
    response = await send_raw(
        site, RawRequest("GET", path.encode(), headers=[(b"accept", b"text/html")])
    )

    assert response.status == 200, response.body
    assert marker in response.body


@pytest.mark.anyio
async def test_a_page_without_its_slash_still_redirects_to_it(site: Litestar) -> None:
    """The site's own rule (as on CloudFront), not a non-canonical path."""
    response = await send_raw(site, RawRequest("GET", b"/sign-in"))

    assert response.status == 308
    assert response.header(b"location") == b"/sign-in/"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path", ["//", "//sign-in/", "/sign-in//", "/./", "/_next//static/chunks/app.js"]
)
async def test_the_sites_non_canonical_paths_are_404s(site: Litestar, path: str) -> None:
    response = await send_raw(site, RawRequest("GET", path.encode()))

    assert response.status == 404
