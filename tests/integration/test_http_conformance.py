"""Regression tests of what schemathesis (tests/fuzz) found: the published OpenAPI
schema must describe what the API does, so that conforming clients and the fuzzer agree
with it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

Client = AsyncTestClient[Any]
OPTIONAL_BODY = ["/api/v1/auth/refresh", "/api/v1/auth/sign-out"]


async def operation(client: Client, path: str, method: str = "post") -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()["paths"][path][method]
    return found


@pytest.mark.parametrize("path", OPTIONAL_BODY)
async def test_refresh_and_sign_out_document_their_body_as_optional(
    client: Client, path: str
) -> None:
    # Cookie mode sends no body; Litestar marked every request body required, so
    # schemathesis flagged a body-less request the API accepts (ST201).
    body = (await operation(client, path))["requestBody"]
    assert body["required"] is False
    assert "application/json" in body["content"]


async def test_sign_out_without_a_body_is_a_204_with_no_content(client: Client) -> None:
    response = await client.post("/api/v1/auth/sign-out")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers


async def test_refresh_without_a_body_is_a_401_problem(client: Client) -> None:
    response = await client.post("/api/v1/auth/refresh")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_sign_out_documents_its_204_without_content(client: Client) -> None:
    # The 204 was documented with a JSON `null` body the API never sends (ST104, ST109).
    no_content = (await operation(client, "/api/v1/auth/sign-out"))["responses"]["204"]
    assert "content" not in no_content
    assert "Set-Cookie" in no_content["headers"]  # the cookie-mode header stays documented


async def test_no_204_anywhere_documents_content(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, methods in paths.items():
        for method, spec in methods.items():
            no_content = spec.get("responses", {}).get("204")
            assert no_content is None or "content" not in no_content, (method, path)
