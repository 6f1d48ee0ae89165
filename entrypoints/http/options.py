"""Correct `Allow` headers on the automatic OPTIONS responses.

Litestar 2.25 builds each path's OPTIONS handler before it merges the handlers of that
path, so `Allow` lists only some methods (e.g. `OPTIONS, POST` for `/api/v1/users`,
which also has GET). This hook rewrites `Allow` from the merged routes.
"""

from __future__ import annotations

from typing import Any

from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


def _allow_map(app: Any) -> dict[str, bytes]:
    cached: dict[str, bytes] | None = app.state.get("allow_map")
    if cached is None:
        cached = {}
        for route in app.routes:
            if isinstance(route, HTTPRoute):
                methods = ", ".join(sorted(route.methods)).encode()
                cached[route.path] = cached[route.path_format] = methods
        app.state["allow_map"] = cached
    return cached


async def fix_allow_header(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    allow = _allow_map(scope["app"]).get(str(scope.get("path_template", "")))
    if allow is None:
        return
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
    message["headers"] = [*headers, (b"allow", allow)]
