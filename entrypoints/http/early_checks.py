"""Checks on the request line and framing, before routing.

One canonical spelling per resource: Litestar's router collapses `//` and would route
`/api/v1//auth/sign-in` to sign-in, while every rule outside the app (the WAF's rate
rule on `/api/v1/auth`, CloudFront behaviours, log filters) compares the path as sent.
So a path with an empty segment (a trailing slash aside), a `.` or `..` segment, or an
encoded `/`, `.` or `\\` (`%2F`, `%2e`, `%5C`: in the raw path, or surviving in a path
the host left encoded) answers 404 and reaches no route.

A query string that is not ASCII (RFC 3986: a URI is) and a Content-Length that is not
one plain number (RFC 9110 §8.6: `1*DIGIT`; Litestar's int() would also take `-1`,
`1_0` or ` 12`, and refuse 5,000 digits) answer 400.

An ASGI wrapper around Litestar's own handler (like `telemetry`), so the answers carry
the common headers (`before_send`) and are logged and counted like any other.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar, Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from entrypoints.http.errors import problem

# `%2F`, `%2E` (any case) and `%5C` (a backslash, a separator to some proxies).
ENCODED_SEPARATOR = re.compile(r"%(?:2[fFeE]|5[cC])")
CONTENT_LENGTH = re.compile(rb"[0-9]{1,18}")
# What every non-canonical spelling contains; most paths have none of it, and one scan
# in C settles them (these checks run before every request).
SUSPECT = re.compile(r"//|/\.|%")
RAW_SUSPECT = re.compile(rb"//|/\.|%|\?")
CONTENT_LENGTH_NAME = b"content-length"


def is_canonical(path: str) -> bool:
    if not path.startswith("/"):
        return False
    if SUSPECT.search(path) is None:
        return True
    if ENCODED_SEPARATOR.search(path):
        return False
    segments = path[1:].split("/")
    if segments[-1] == "":  # `/` and `/sign-in/`: a trailing slash is allowed
        segments.pop()
    return all(segment not in {"", ".", ".."} for segment in segments)


def _raw_path_is_canonical(raw_path: Any) -> bool:
    if not isinstance(raw_path, bytes):
        return True  # not given: `path` is all there is
    if raw_path.startswith(b"/") and raw_path.isascii() and RAW_SUSPECT.search(raw_path) is None:
        return True
    # The query is not part of it, but Litestar's test client leaves it on.
    path = raw_path.split(b"?", 1)[0]
    return path.isascii() and is_canonical(path.decode("ascii"))


def _content_length_is_plain(headers: Any) -> bool:
    """At most one value (or several equal ones, RFC 9110 §8.6), digits only."""
    size = len(CONTENT_LENGTH_NAME)
    values = {
        value
        for name, value in headers
        if len(name) == size and name.lower() == CONTENT_LENGTH_NAME
    }
    return not values or (len(values) == 1 and bool(CONTENT_LENGTH.fullmatch(values.pop())))


def refusal(scope: Scope) -> tuple[int, str] | None:
    """The status and detail a request gets before routing, or None to route it."""
    if not (is_canonical(scope["path"]) and _raw_path_is_canonical(scope.get("raw_path"))):
        return 404, "Not Found"
    if not scope.get("query_string", b"").isascii():
        return 400, "The query string is not ASCII (percent-encode it)."
    if not _content_length_is_plain(scope.get("headers", ())):
        return 400, "Content-Length must be one number of digits."
    return None


class EarlyChecks:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = refusal(scope) if scope["type"] == ScopeType.HTTP else None
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, detail = refused
        request: Request[Any, Any, Any] = Request(scope, receive)
        response = problem(status, "about:blank", detail, request=request)
        await response.to_asgi_response(None, request)(scope, receive, send)


def with_early_checks(app: Litestar) -> Litestar:
    app.asgi_handler = EarlyChecks(app.asgi_handler)
    return app
