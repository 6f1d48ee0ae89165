"""JSON routes take JSON only (issue 13): a body sent as anything but `application/json`
or `application/*+json` (charset utf-8 or none, any case) is a 415 problem, on every
operation with a body. Browsers send `text/plain`, form and multipart bodies cross-site
without a CORS preflight: such a "simple" POST used to sign in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import STRONG_PASSWORD, MakeUser
from tests.integration.problems import assert_problem

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

Client = AsyncTestClient[Any]
SIGN_IN = "/api/v1/auth/sign-in"
CREDENTIALS = b'{"email": "ann@example.com", "password": "%s"}' % STRONG_PASSWORD.encode()
NOT_JSON = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=----x",
    "application/octet-stream",
    "text/json",
    "application/jsonp",
    "application/json; charset=iso-8859-1",
    "application/json; charset=utf-16",
    "",
    None,  # no Content-Type at all
]
JSON = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    'application/json; charset="utf-8"',
    "APPLICATION/JSON",
    "Application/Json ; Charset=UTF-8",
    "application/merge-patch+json",
]


@pytest.fixture
async def ann(make_user: MakeUser) -> None:
    await make_user(email="ann@example.com")


async def post(client: Client, path: str, body: bytes, content_type: str | None) -> httpx.Response:
    headers = {} if content_type is None else {"content-type": content_type}
    return await client.post(path, content=body, headers=headers)


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_a_sign_in_not_sent_as_json_is_a_415_and_signs_nobody_in(
    client: Client, ann: None, content_type: str | None
) -> None:
    response = await post(client, SIGN_IN, CREDENTIALS, content_type)

    assert_problem(response, 415)
    assert "access_token" not in response.text


@pytest.mark.parametrize("content_type", JSON)
async def test_a_sign_in_sent_as_json_signs_in(
    client: Client, ann: None, content_type: str
) -> None:
    response = await post(client, SIGN_IN, CREDENTIALS, content_type)

    assert response.status_code == 200, response.text


async def operations_with_a_body(client: Client) -> list[tuple[str, str]]:
    document = (await client.get("/schema/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]


async def test_every_operation_with_a_body_answers_415_to_a_text_body(client: Client) -> None:
    found = await operations_with_a_body(client)
    assert len(found) >= 15

    for method, path in found:
        concrete = path.replace("{user_id}", "someone")
        response = await client.request(
            method, concrete, content=b'{"x": 1}', headers={"content-type": "text/plain"}
        )

        assert response.status_code == 415, (method, path, response.text)
        assert_problem(response, 415)


async def test_every_operation_with_a_body_documents_the_415(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                documented = operation["responses"].get("415")
                assert documented is not None, (method, path)
                assert "application/problem+json" in documented["content"], (method, path)


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/api/v1/auth/sign-out"])
async def test_an_optional_body_may_be_absent_without_a_content_type(
    client: Client, path: str
) -> None:
    response = await client.post(path, headers={"X-Refresh-Token-Transport": "cookie"})

    # No token was presented: refresh says so (401), sign-out has nothing to end (204).
    assert response.status_code in {401, 204}, response.text
    assert response.status_code != 415


async def test_a_cookie_mode_refresh_with_no_body_and_no_content_type_rotates(
    client: Client, ann: None
) -> None:
    signed_in = await client.post(
        SIGN_IN,
        content=CREDENTIALS,
        headers={"content-type": "application/json", "X-Refresh-Token-Transport": "cookie"},
    )
    token = signed_in.cookies["refresh_token"]
    client.cookies.clear()

    response = await client.post(
        "/api/v1/auth/refresh",
        headers={"X-Refresh-Token-Transport": "cookie", "Cookie": f"refresh_token={token}"},
    )

    assert response.status_code == 200, response.text


async def test_a_body_on_a_route_that_reads_none_is_not_refused(client: Client) -> None:
    """Only JSON routes check the media type; a stray body elsewhere is ignored."""
    response = await client.request(
        "GET", "/health", content=b"x", headers={"content-type": "text/plain"}
    )

    assert response.status_code == 200
