"""Cookie mode: the refresh token of browser clients travels in an HttpOnly cookie.

A client opts in per request with `X-Refresh-Token-Transport: cookie`. Then sign-up,
sign-in and refresh set the refresh token as a cookie that script cannot read
(`HttpOnly`), that is sent only over HTTPS or to localhost (`Secure`), never with a
cross-site request (`SameSite=Strict`) and only to the auth routes (`Path`); the JSON
body carries no `refresh_token`. Refresh and sign-out read the cookie when there is no
body, and sign-out clears it. Without the header (body mode, for API clients)
nothing changes. The custom header is also a CSRF guard: a cross-site form cannot send
one, and a cross-site script cannot without a CORS preflight, which this API refuses.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from litestar import Response
from litestar.datastructures import Cookie, ResponseHeader
from litestar.params import CookieParameter, HeaderParameter

from application.auth.sessions import TokenPair
from entrypoints.settings import Settings

T = TypeVar("T")

TRANSPORT_HEADER = "X-Refresh-Token-Transport"
COOKIE_NAME = "refresh_token"
COOKIE_PATH = "/api/v1/auth"

Transport = Annotated[
    Literal["cookie", "body"] | None,
    HeaderParameter(
        name=TRANSPORT_HEADER,
        description="`cookie`: the refresh token travels in an HttpOnly cookie scoped to "
        f"`{COOKIE_PATH}` instead of the JSON body (browser clients). Default `body`.",
    ),
]
RefreshCookie = Annotated[
    str | None,
    CookieParameter(
        name=COOKIE_NAME,
        max_length=512,
        description="Cookie mode only: the refresh token the API set (read when the "
        "request has no body).",
    ),
]

SET_COOKIE_DOC = [
    ResponseHeader(
        name="Set-Cookie",
        description=f"Cookie mode only: `{COOKIE_NAME}=...; Path={COOKIE_PATH}; Max-Age=...; "
        "HttpOnly; Secure; SameSite=Strict` (cleared with `Max-Age=0` by sign-out).",
        documentation_only=True,
    )
]


def is_cookie_mode(transport: str | None) -> bool:
    return transport == "cookie"


def refresh_cookie(token: str, settings: Settings) -> Cookie:
    """The cookie lives as long as the longest a session family can (the absolute
    lifetime); the server still enforces idle and absolute expiry itself."""
    return _cookie(token, settings.refresh_absolute_ttl_seconds)


def cleared_refresh_cookie() -> Cookie:
    return _cookie("", 0)


def _cookie(value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value=value,
        path=COOKIE_PATH,
        max_age=max_age,
        httponly=True,
        secure=True,
        samesite="strict",
    )


def presented_token(body_token: str | None, cookie_mode: bool, cookie: str | None) -> str | None:
    """The refresh token of a refresh or sign-out request: the body's if it has one,
    else, in cookie mode only, the cookie's. None when the request presents none (no
    body, which the schema allows): refresh answers 401, sign-out 204 (nothing to end).
    A body that is there but malformed stays a 422 in either mode."""
    if body_token is not None:
        return body_token
    return (cookie or None) if cookie_mode else None


def token_response(
    content: T, tokens: TokenPair, cookie_mode: bool, settings: Settings, status_code: int
) -> Response[T]:
    """`content` (whose `refresh_token` the caller already left out in cookie mode) with
    the refresh cookie set in cookie mode."""
    cookies = [refresh_cookie(tokens.refresh_token, settings)] if cookie_mode else []
    return Response(content, status_code=status_code, cookies=cookies)
