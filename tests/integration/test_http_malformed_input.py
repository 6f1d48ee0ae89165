"""The inputs that answered 500 with a traceback (issue 13), each now a 4xx problem:
invalid UTF-8 in a JSON string, deep nesting, a query string that is not ASCII,
If-Match versions that are not plain ASCII numbers, and authenticator codes in digits
other than ASCII ones on every route that checks a code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from adapters.security.argon2_hasher import Argon2PasswordHasher
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.http.etags import etag_of
from entrypoints.http.json_body import MAX_JSON_DEPTH
from entrypoints.settings import Settings
from tests.integration.hostile_world import PASSWORD, World, build_world
from tests.integration.raw_asgi import RawRequest, RawResponse, send_raw

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PROBLEM_JSON = b"application/problem+json"
JSON = (b"content-type", b"application/json")
# Fullwidth, Arabic-Indic, Devanagari and superscript spellings of 123456.
OTHER_DIGITS = [
    "\uff11\uff12\uff13\uff14\uff15\uff16",
    "\u0661\u0662\u0663\u0664\u0665\u0666",
    "\u0967\u0968\u0969\u096a\u096b\u096c",
    "\u00b9\u00b2\u00b3\u2074\u2075\u2076",
    "\uff11\uff12\uff13 \uff14\uff15\uff16",
]


@dataclass
class Api:
    app: Litestar
    services: Services
    password_hash: str
    worlds: Iterator[int]

    async def world(self, two_factor: str = "off") -> World:
        return await build_world(self.services, next(self.worlds), two_factor, self.password_hash)

    async def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        query: bytes = b"",
    ) -> RawResponse:
        sent = [JSON] if body is not None else []
        request = RawRequest(method, path.encode(), query, sent + (headers or []), [body or b""])
        return await send_raw(self.app, request)


@pytest.fixture
async def api(settings: Settings, argon2_hasher: Argon2PasswordHasher) -> Api:
    services = build_services(settings, hasher=argon2_hasher)
    return Api(create_app(services), services, await argon2_hasher.hash(PASSWORD), iter(range(99)))


def bearer(world: World) -> tuple[bytes, bytes]:
    return (b"authorization", b"Bearer " + world.user_tokens.access_token.encode())


def assert_problem(response: RawResponse, status: int) -> dict[str, Any]:
    assert response.status == status, response.body
    assert (response.header(b"content-type") or b"").startswith(PROBLEM_JSON)
    problem: dict[str, Any] = json.loads(response.body)
    assert problem["status"] == status
    return problem


# --- bodies ------------------------------------------------------------------------------

BODY_ROUTES = [
    "/api/v1/auth/sign-in",
    "/api/v1/auth/sign-up",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/refresh",
]


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize(
    "bad", [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"], ids=repr
)
async def test_invalid_utf8_inside_a_json_string_is_a_400(api: Api, path: str, bad: bytes) -> None:
    body = b'{"email":"ann' + bad + b'@example.com","password":"x","refresh_token":"a' + bad + b'"}'

    response = await api.send("POST", path, body)

    assert "UTF-8" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
async def test_a_value_nested_5000_deep_is_a_400(api: Api, path: str, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    body = b'{"email":' + opener * 5000 + b"1" + closer * 5000 + b"}"

    response = await api.send("POST", path, body)

    assert "nests deeper" in assert_problem(response, 400)["detail"]


async def test_nesting_up_to_the_limit_reaches_validation(api: Api) -> None:
    depth = MAX_JSON_DEPTH - 1  # inside the body's own object
    within = b'{"email":' + b"[" * depth + b"]" * depth + b',"password":"x"}'
    beyond = b'{"email":' + b"[" * (depth + 1) + b"]" * (depth + 1) + b',"password":"x"}'

    assert (await api.send("POST", "/api/v1/auth/sign-in", within)).status == 422
    assert (await api.send("POST", "/api/v1/auth/sign-in", beyond)).status == 400


async def test_brackets_inside_strings_do_not_count_as_nesting(api: Api) -> None:
    body = json.dumps({"email": "ann@example.com", "password": "[{" * 500}).encode()

    response = await api.send("POST", "/api/v1/auth/sign-in", body)

    assert_problem(response, 401)


# --- query strings ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", [b"limit=\xff", b"\xff=1", b"cursor=\xc3\xa9"])
async def test_a_query_string_that_is_not_ascii_is_a_400(api: Api, query: bytes) -> None:
    world = await api.world()

    response = await api.send("GET", "/api/v1/users/me/audit", headers=[bearer(world)], query=query)

    assert "ASCII" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize(
    "query",
    [
        b"limit=%ff",
        b"limit=" + b"1" * 5000,
        b"limit=%EF%BC%91%EF%BC%90",  # fullwidth 10
        b"cursor=%ff%00",
        b"cursor=" + b"A" * 512,
        b"cursor=MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHw%3D",
    ],
)
async def test_odd_query_values_are_a_422(api: Api, query: bytes) -> None:
    world = await api.world()

    response = await api.send("GET", "/api/v1/users/me/audit", headers=[bearer(world)], query=query)

    assert_problem(response, 422)


# --- If-Match --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "version",
    [
        b"\xb9",  # superscript one: isdigit() but not int()
        b"\xb2\xb3",
        "\uff12".encode(),  # fullwidth two, as UTF-8 bytes
        b"1" * 5000,  # past int()'s digit limit
        b"9" * 19,
        b"01",
        b"+1",
        b" 1",
        b"1_0",
        b"1\xe9",
    ],
    ids=repr,
)
async def test_an_if_match_version_not_spelled_as_issued_is_a_412(api: Api, version: bytes) -> None:
    world = await api.world()
    tag = etag_of(world.user)[1:-1].split("-", 1)[1].encode()
    if_match = (b"if-match", b'"' + version + b"-" + tag + b'"')

    response = await api.send(
        "PATCH", f"/api/v1/users/{world.user.id}", b'{"name":"Bo"}', [bearer(world), if_match]
    )

    assert_problem(response, 412)


async def test_the_etag_as_issued_still_matches(api: Api) -> None:
    world = await api.world()
    if_match = (b"if-match", etag_of(world.user).encode())

    response = await api.send(
        "PATCH", f"/api/v1/users/{world.user.id}", b'{"name":"Bo"}', [bearer(world), if_match]
    )

    assert response.status == 200, response.body


# --- authenticator codes -----------------------------------------------------------------------


@pytest.mark.parametrize("code", OTHER_DIGITS)
async def test_a_sign_in_code_in_other_digits_is_a_401(api: Api, code: str) -> None:
    world = await api.world()  # the other user's factor is on; the challenge is theirs
    body = json.dumps({"challenge": world.challenge, "code": code}).encode()

    response = await api.send("POST", "/api/v1/auth/sign-in/totp", body)

    assert_problem(response, 401)


@pytest.mark.parametrize("code", OTHER_DIGITS)
async def test_a_confirmation_code_in_other_digits_is_a_422(api: Api, code: str) -> None:
    world = await api.world("pending")
    body = json.dumps({"code": code}).encode()

    response = await api.send("POST", "/api/v1/users/me/two-factor/confirm", body, [bearer(world)])

    assert_problem(response, 422)


@pytest.mark.parametrize("code", OTHER_DIGITS)
async def test_a_disabling_code_in_other_digits_is_a_401(api: Api, code: str) -> None:
    world = await api.world("on")
    body = json.dumps({"password": PASSWORD, "code": code}).encode()

    response = await api.send("POST", "/api/v1/users/me/two-factor/disable", body, [bearer(world)])

    assert_problem(response, 401)


async def test_the_same_code_in_ascii_digits_still_works(api: Api) -> None:
    world = await api.world("on")
    body = json.dumps({"password": PASSWORD, "code": world.totp_code}).encode()

    response = await api.send("POST", "/api/v1/users/me/two-factor/disable", body, [bearer(world)])

    assert response.status == 204, response.body


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "length",
    [b"1" * 5000, b"\xb2", "\uff11\uff12".encode(), b"-1", b"1e3", b"0x10", b" "],
    ids=repr,
)
async def test_an_odd_content_length_is_a_400(api: Api, length: bytes) -> None:
    response = await api.send(
        "POST",
        "/api/v1/auth/sign-in",
        b'{"email":"a@example.com","password":"x"}',
        [(b"content-length", length)],
    )

    assert_problem(response, 400)


@pytest.mark.parametrize(
    "authorization",
    [
        b"Bearer \xff\xfe",
        b"Bearer " + b"A" * 10_000,
        b"Bearer a.b.c\x00",
        b"\xe9",
        b"Bearer  ",
        b"Basic YTpi",
    ],
    ids=repr,
)
async def test_an_odd_authorization_is_a_401(api: Api, authorization: bytes) -> None:
    response = await api.send(
        "GET", "/api/v1/users/me", headers=[(b"authorization", authorization)]
    )

    assert_problem(response, 401)


@pytest.mark.parametrize("value", [b"\xff", b"COOKIE", b"cookie\x00", b"x" * 5000], ids=repr)
async def test_an_odd_transport_header_is_a_422(api: Api, value: bytes) -> None:
    response = await api.send(
        "POST",
        "/api/v1/auth/refresh",
        b'{"refresh_token":"x"}',
        [(b"x-refresh-token-transport", value)],
    )

    assert_problem(response, 422)


@pytest.mark.parametrize(
    "cookie",
    [
        b"refresh_token=\xff\xfe",
        b"refresh_token=" + b"x" * 5000,
        b"refresh_token",
        b"=;;=",
        b"\x00",
    ],
    ids=repr,
)
async def test_an_odd_refresh_cookie_is_refused_without_a_server_error(
    api: Api, cookie: bytes
) -> None:
    response = await api.send(
        "POST",
        "/api/v1/auth/refresh",
        headers=[(b"x-refresh-token-transport", b"cookie"), (b"cookie", cookie)],
    )

    assert response.status in {401, 422}, response.body
    assert_problem(response, response.status)


@pytest.mark.parametrize("request_id", [b"\xff", b"a\r\nb", b"x" * 5000, b"\x00"], ids=repr)
async def test_an_odd_request_id_is_replaced(api: Api, request_id: bytes) -> None:
    response = await api.send("GET", "/health", headers=[(b"x-request-id", request_id)])

    assert response.status == 200
    assert response.header(b"x-request-id") not in {request_id, None}
