"""Headers every response carries, added in Litestar's app-level `before_send` hook so
that they reach responses the router makes too (404, 405), not only matched routes."""

from __future__ import annotations

import re
import uuid

from litestar.types import Message, Scope

REQUEST_ID_HEADER = b"x-request-id"
# A client-sent id is echoed only if it cannot smuggle anything into logs or headers.
SANE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")

COMMON_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
API_HEADERS: list[tuple[bytes, bytes]] = [
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
# A handler that renders a page with a policy of its own (the API reference, docs.py)
# puts it in the scope's state under this key; it replaces the strict one.
PAGE_POLICY_STATE = "content_security_policy"

# Pages of the built frontend (`static.py`, routes marked with this `opt`) run scripts,
# load styles and call the API on their own origin. Next's static export inlines its
# bootstrap scripts: each page allows exactly its own by hash, never 'unsafe-inline'.
# frontend/scripts/csp.mjs writes the same directives (minus frame-ancestors) into the
# pages as a <meta> for static hosting; a test keeps the two in step.
FRONTEND_OPT = "frontend"
PAGE_POLICY = (
    "default-src 'self'",
    "script-src 'self' {hashes}",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
# Frontend responses keep the Cache-Control and CSP the file server chose (pages get
# theirs, build assets are immutable); anything else of theirs gets these.
FRONTEND_HEADERS: list[tuple[bytes, bytes]] = [
    (b"cache-control", b"no-cache"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


def page_csp(script_hashes: list[str]) -> str:
    """The policy of one page: `script_hashes` like `'sha256-...'`."""
    return "; ".join(PAGE_POLICY).replace(" {hashes}", "".join(f" {h}" for h in script_hashes))


def _is_frontend(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(FRONTEND_OPT))


def request_id_of(scope: Scope) -> str:
    """The request's id: the client's if sane, else a new one; fixed once computed."""
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        sent = next((v for k, v in scope.get("headers", ()) if k == REQUEST_ID_HEADER), b"")
        request_id = sent.decode() if SANE_REQUEST_ID.match(sent) else uuid.uuid4().hex
        state["request_id"] = request_id
    return str(request_id)


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    extra = COMMON_HEADERS + (FRONTEND_HEADERS if _is_frontend(scope) else API_HEADERS)
    headers = list(message.get("headers", []))
    if policy := scope.get("state", {}).get(PAGE_POLICY_STATE):
        headers.append((b"content-security-policy", str(policy).encode()))
    present = {name.lower() for name, _ in headers}
    headers.extend(h for h in extra if h[0] not in present)
    headers.append((REQUEST_ID_HEADER, request_id_of(scope).encode()))
    message["headers"] = headers
