"""Cookie mode through Lambda: the refresh cookie survives Mangum in every event shape
(REST v1 returns it in `multiValueHeaders`, HTTP API and Function URLs in `cookies`),
and a cookie sent back (v2 moves request cookies out of the headers into `cookies`)
is read by refresh and sign-out."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest

from entrypoints.lambda_handler import handler
from tests.integration.lambda_events import (
    EVENT_BUILDERS,
    EventBuilder,
    LambdaContext,
    response_json,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("cold_lambda")]

AUTH = "/api/v1/auth"
COOKIE_MODE = {"X-Refresh-Token-Transport": "cookie"}
builders = pytest.mark.parametrize("build", list(EVENT_BUILDERS.values()), ids=list(EVENT_BUILDERS))


def set_cookies(response: dict[str, Any]) -> list[str]:
    """Every Set-Cookie of a Lambda response, whichever shape carries it."""
    found = list(response.get("cookies") or [])
    for name, values in (response.get("multiValueHeaders") or {}).items():
        if name.lower() == "set-cookie":
            found.extend(values)
    for name, value in (response.get("headers") or {}).items():
        if name.lower() == "set-cookie":
            found.append(value)
    return found


def refresh_token_of(response: dict[str, Any]) -> str:
    headers = [h for h in set_cookies(response) if h.startswith("refresh_token=")]
    assert len(headers) == 1, response
    assert "HttpOnly" in headers[0]
    assert "Secure" in headers[0]
    assert "Path=/api/v1/auth" in headers[0]
    return SimpleCookie(headers[0])["refresh_token"].value


def with_cookie(event: dict[str, Any], token: str) -> dict[str, Any]:
    """The browser sends the cookie back; HTTP API and Function URL events carry request
    cookies in `cookies`, not in the headers."""
    if event.get("version") == "2.0":
        return {**event, "cookies": [f"refresh_token={token}"]}
    return {
        **event,
        "headers": {**event["headers"], "Cookie": f"refresh_token={token}"},
        "multiValueHeaders": {**event["multiValueHeaders"], "Cookie": [f"refresh_token={token}"]},
    }


@builders
def test_cookie_mode_works_through_every_event_shape(build: EventBuilder) -> None:
    context = LambdaContext()
    body = {"email": "ann@example.com", "password": "velvet harbor quantum meadow", "name": "Ann"}

    signed_up = handler(build("POST", f"{AUTH}/sign-up", body=body, headers=COOKIE_MODE), context)
    assert signed_up["statusCode"] == 201, signed_up.get("body")
    assert "refresh_token" not in response_json(signed_up)["tokens"]
    first = refresh_token_of(signed_up)

    refreshed = handler(
        with_cookie(build("POST", f"{AUTH}/refresh", headers=COOKIE_MODE), first), context
    )
    assert refreshed["statusCode"] == 200, refreshed.get("body")
    second = refresh_token_of(refreshed)
    assert second != first

    signed_out = handler(
        with_cookie(build("POST", f"{AUTH}/sign-out", headers=COOKIE_MODE), second), context
    )
    assert signed_out["statusCode"] == 204
    assert any(h.startswith("refresh_token=") and "Max-Age=0" in h for h in set_cookies(signed_out))
    again = handler(
        with_cookie(build("POST", f"{AUTH}/refresh", headers=COOKIE_MODE), second), context
    )
    assert again["statusCode"] == 401
