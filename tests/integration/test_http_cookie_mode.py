"""HTTP tests of cookie mode (`X-Refresh-Token-Transport: cookie`): browsers keep the
refresh token in an HttpOnly cookie that the API sets, reads and clears; API clients
that do not ask for it (body mode) see the contract of API.md unchanged."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.settings import Settings
from tests.conftest import STRONG_PASSWORD, MakeUser

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
COOKIE_MODE = {"X-Refresh-Token-Transport": "cookie"}
CREDENTIALS = {"email": "ann@example.com", "password": STRONG_PASSWORD}
Client = AsyncTestClient[Any]


def refresh_cookie_of(response: httpx.Response) -> dict[str, str]:
    """The one `refresh_token` Set-Cookie of a response: value and attributes, keys
    lowercased, flags present as ''."""
    headers = [h for h in response.headers.get_list("set-cookie") if "refresh_token=" in h]
    assert len(headers) == 1, headers
    morsel = SimpleCookie(headers[0])["refresh_token"]
    flags = {part.strip().split("=")[0].lower() for part in headers[0].split(";")[1:]}
    attributes = {key: str(value) for key, value in morsel.items() if value}
    return {"value": morsel.value, **attributes, **{f: "" for f in flags if f not in attributes}}


def with_cookie(value: str) -> dict[str, str]:
    """Cookie mode with the cookie a browser would send back (sent by hand: the test
    client's jar is cleared, so nothing is sent that the test did not choose)."""
    return {**COOKIE_MODE, "Cookie": f"refresh_token={value}"}


async def sign_in(client: Client, headers: dict[str, str] | None = None) -> httpx.Response:
    response = await client.post(f"{AUTH}/sign-in", json=CREDENTIALS, headers=headers or {})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
async def ann(make_user: MakeUser) -> None:
    await make_user(email=CREDENTIALS["email"])


# --- setting the cookie ------------------------------------------------------------------


async def test_sign_in_in_cookie_mode_sets_a_locked_down_cookie_instead_of_a_body_token(
    client: Client, ann: None, settings: Settings
) -> None:
    response = await sign_in(client, COOKIE_MODE)

    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    cookie = refresh_cookie_of(response)
    assert len(cookie["value"]) >= 43
    assert cookie["path"] == "/api/v1/auth"
    assert int(cookie["max-age"]) == settings.refresh_absolute_ttl_seconds
    assert cookie["samesite"].lower() == "strict"
    assert "httponly" in cookie
    assert "secure" in cookie
    assert "domain" not in cookie  # host-only: never shared with sibling subdomains
    assert response.headers["cache-control"] == "no-store"


async def test_sign_up_in_cookie_mode_sets_the_cookie_and_returns_the_user(client: Client) -> None:
    response = await client.post(
        f"{AUTH}/sign-up", json={**CREDENTIALS, "name": "Ann"}, headers=COOKIE_MODE
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == "ann@example.com"
    assert set(body["tokens"]) == {"access_token", "token_type", "expires_in"}
    assert refresh_cookie_of(response)["value"]


@pytest.mark.parametrize("headers", [{}, {"X-Refresh-Token-Transport": "body"}])
async def test_body_mode_is_unchanged_and_sets_no_cookie(
    client: Client, ann: None, headers: dict[str, str]
) -> None:
    response = await sign_in(client, headers)

    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert response.headers.get_list("set-cookie") == []


async def test_an_unknown_transport_is_a_422_problem(client: Client, ann: None) -> None:
    response = await client.post(
        f"{AUTH}/sign-in", json=CREDENTIALS, headers={"X-Refresh-Token-Transport": "query"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers.get_list("set-cookie") == []


# --- refreshing from the cookie --------------------------------------------------------------


async def test_refresh_in_cookie_mode_reads_the_cookie_and_rotates_it(
    client: Client, ann: None
) -> None:
    first = refresh_cookie_of(await sign_in(client, COOKIE_MODE))["value"]

    response = await client.post(f"{AUTH}/refresh", headers=with_cookie(first))

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    second = refresh_cookie_of(response)
    assert second["value"] != first
    assert second["path"] == "/api/v1/auth"
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.status_code == 200
    # The first cookie is spent: a browser replaying it gets nothing.
    replayed = await client.post(f"{AUTH}/refresh", headers=with_cookie(first))
    assert replayed.status_code == 401


async def test_refresh_in_cookie_mode_without_a_cookie_is_a_401_problem(client: Client) -> None:
    response = await client.post(f"{AUTH}/refresh", headers=COOKIE_MODE)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_cookie_is_ignored_without_the_cookie_mode_header(
    client: Client, ann: None
) -> None:
    token = refresh_cookie_of(await sign_in(client, COOKIE_MODE))["value"]

    # What a cross-site form post could send at best: the cookie, but not the header.
    response = await client.post(f"{AUTH}/refresh", headers={"Cookie": f"refresh_token={token}"})

    assert response.status_code == 401
    assert response.headers.get_list("set-cookie") == []
    still_live = await client.post(f"{AUTH}/refresh", headers=with_cookie(token))
    assert still_live.status_code == 200


async def test_a_body_token_in_cookie_mode_is_used_and_answered_with_a_cookie(
    client: Client, ann: None
) -> None:
    token = (await sign_in(client)).json()["refresh_token"]

    response = await client.post(
        f"{AUTH}/refresh", json={"refresh_token": token}, headers=COOKIE_MODE
    )

    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()
    assert refresh_cookie_of(response)["value"] != token


async def test_an_empty_object_body_is_still_a_422_in_either_mode(client: Client) -> None:
    for headers in ({}, COOKIE_MODE):
        response = await client.post(f"{AUTH}/refresh", json={}, headers=headers)

        assert response.status_code == 422, headers
        assert [e["field"] for e in response.json()["errors"]] == ["refresh_token"]


# --- signing out -------------------------------------------------------------------------


async def test_sign_out_in_cookie_mode_revokes_the_family_and_clears_the_cookie(
    client: Client, ann: None
) -> None:
    first = refresh_cookie_of(await sign_in(client, COOKIE_MODE))["value"]
    rotated = await client.post(f"{AUTH}/refresh", headers=with_cookie(first))
    current = refresh_cookie_of(rotated)["value"]

    response = await client.post(f"{AUTH}/sign-out", headers=with_cookie(current))

    assert response.status_code == 204
    cleared = refresh_cookie_of(response)
    assert cleared["value"] == ""
    assert cleared["max-age"] == "0"
    assert cleared["path"] == "/api/v1/auth"
    assert "httponly" in cleared
    assert "secure" in cleared
    after = await client.post(f"{AUTH}/refresh", headers=with_cookie(current))
    assert after.status_code == 401


async def test_sign_out_in_cookie_mode_without_a_cookie_still_clears_it(client: Client) -> None:
    response = await client.post(f"{AUTH}/sign-out", headers=COOKIE_MODE)

    assert response.status_code == 204
    assert refresh_cookie_of(response)["max-age"] == "0"


async def test_body_mode_without_a_body_is_a_401_refresh_and_a_204_sign_out(
    client: Client, ann: None
) -> None:
    token = refresh_cookie_of(await sign_in(client, COOKIE_MODE))["value"]

    refresh = await client.post(f"{AUTH}/refresh")
    sign_out = await client.post(f"{AUTH}/sign-out", headers={"Cookie": f"refresh_token={token}"})
    unknown = await client.post(f"{AUTH}/sign-out", json={"refresh_token": "x"})

    assert refresh.status_code == 401
    assert refresh.headers["content-type"].startswith("application/problem+json")
    assert sign_out.status_code == 204
    assert unknown.status_code == 204
    assert sign_out.headers.get_list("set-cookie") == []
    # The body-mode sign-out ignored the cookie: its session is still live.
    assert (await client.post(f"{AUTH}/refresh", headers=with_cookie(token))).status_code == 200


@pytest.mark.parametrize(
    "body", [b'{"refresh_token": 42}', b"[]", b'{"refresh_token": "x", "is_admin": true}']
)
async def test_a_malformed_body_is_a_422_in_either_mode(client: Client, body: bytes) -> None:
    for headers in ({}, COOKIE_MODE):
        response = await client.post(
            f"{AUTH}/refresh", content=body, headers={**headers, "content-type": "application/json"}
        )

        assert response.status_code == 422, (body, headers, response.text)


async def test_a_json_null_body_presents_no_token(client: Client) -> None:
    response = await client.post(
        f"{AUTH}/refresh", content=b"null", headers={"content-type": "application/json"}
    )

    assert response.status_code == 401


# --- the OpenAPI document tells the truth --------------------------------------------------


async def test_the_openapi_document_describes_cookie_mode(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    token_pair = document["components"]["schemas"]["TokenPairOut"]
    assert set(token_pair["required"]) == {"access_token", "expires_in"}
    assert "refresh_token" in token_pair["properties"]
    for name in ("sign-up", "sign-in", "refresh", "sign-out"):
        operation = document["paths"][f"{AUTH}/{name}"]["post"]
        parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        assert ("header", "X-Refresh-Token-Transport") in parameters, name
        success = next(r for status, r in operation["responses"].items() if status < "300")
        assert "Set-Cookie" in success["headers"], name
        if name in {"refresh", "sign-out"}:
            assert ("cookie", "refresh_token") in parameters, name
