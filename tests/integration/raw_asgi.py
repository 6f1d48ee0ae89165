"""Requests sent straight into the ASGI app, byte for byte.

HTTP clients normalize what they send (httpx resolves `..`, refuses non-ASCII header
values, computes Content-Length); an attacker's client does none of that. This driver
builds the ASGI scope the way a server does from raw bytes (`path` is the
percent-decoded `raw_path`, invalid escapes become U+FFFD, as uvicorn and granian do)
and hands the body over in the chunks it is given.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from litestar.types import ASGIApp


@dataclass(frozen=True)
class RawRequest:
    method: str
    raw_path: bytes  # as on the request line, percent-encoded, without the query
    query_string: bytes = b""
    headers: Sequence[tuple[bytes, bytes]] = ()
    body_chunks: Sequence[bytes] = ()
    client: tuple[str, int] = ("203.0.113.1", 40000)

    @property
    def path(self) -> str:
        return unquote(self.raw_path.decode("ascii"), errors="replace")

    @property
    def body(self) -> bytes:
        return b"".join(self.body_chunks)

    def __repr__(self) -> str:  # short: bodies run to 64 KiB
        def cut(value: bytes, size: int = 200) -> str:
            return repr(value if len(value) <= size else value[:size] + b"...")

        headers = "".join(
            f"\n  {name.decode('latin-1')}: {cut(value)}" for name, value in self.headers
        )
        return (
            f"{self.method} {cut(self.raw_path)} ?{cut(self.query_string)}{headers}"
            f"\n  body ({len(self.body)} bytes in {len(self.body_chunks)}): {cut(self.body)}"
        )


@dataclass
class RawResponse:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    # A traceback when the app raised out of the ASGI call (a server answers 500 then).
    crashed: str | None = None

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


async def send_raw(app: ASGIApp, request: RawRequest) -> RawResponse:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.raw_path,
        "root_path": "",
        "query_string": request.query_string,
        "headers": [(name.lower(), value) for name, value in request.headers],
        "client": request.client,
        "server": ("testserver", 80),
        "state": {},
    }
    chunks = list(request.body_chunks) or [b""]
    response = RawResponse()

    async def receive() -> dict[str, Any]:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")

    try:
        await app(scope, receive, send)  # type: ignore[arg-type]
    except Exception:  # what a server would turn into a 500
        response.crashed = traceback.format_exc()
        response.status = 500
    if response.status == 0:
        response.status = 500
        response.crashed = "the app never started a response"
    return response
