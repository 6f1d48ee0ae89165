"""Per request: the request span, one access-log line and the request metrics.

An ASGI wrapper around the Litestar app's handler (inside Litestar's own `__call__`, so
`scope["state"]` exists and `before_send` hooks still run), not a route middleware:
route middleware never sees the router's own 404 and 405 answers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.middleware import request_id_of
from observability.context import (
    RequestContext,
    bind_request,
    current_invocation,
    xray_trace_id,
)
from observability.metrics import RequestMetrics
from observability.tracing import RequestTracer

access_log = logging.getLogger("http.access")

TRACE_HEADER = b"x-amzn-trace-id"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The route label of requests no route matched: raw paths would let any client create
# unbounded metric dimensions and log noise.
UNMATCHED = "unmatched"


def route_of(scope: Scope | dict[str, Any]) -> str:
    """The route template (`/api/v1/users/{user_id}`), never the raw path."""
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else UNMATCHED


def method_of(scope: Scope | dict[str, Any]) -> str:
    method = str(scope.get("method", ""))
    return method if method in KNOWN_METHODS else "OTHER"


def _header(scope: Scope, name: bytes) -> str | None:
    value = next((v for k, v in scope.get("headers", ()) if k == name), None)
    return value.decode("latin-1") if value else None


class RequestTelemetry:
    def __init__(self, app: ASGIApp, tracer: RequestTracer, metrics: RequestMetrics) -> None:
        self.app = app
        self.tracer = tracer
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        invocation = current_invocation()
        # On Lambda the runtime's trace header names the function's own segment.
        header = invocation.trace_header if invocation else _header(scope, TRACE_HEADER)
        context = RequestContext(
            request_id=request_id_of(scope),
            lambda_request_id=invocation.aws_request_id if invocation else None,
            trace_id=xray_trace_id(header),
        )
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        method = method_of(scope)
        with (
            bind_request(context),
            self.metrics.request_scope(),
            self.tracer.request(method, header) as span,
        ):
            context.trace_id = span.trace_id or context.trace_id
            try:
                await self.app(scope, receive, send_and_watch)
            finally:
                route = route_of(scope)
                elapsed_ms = (time.perf_counter() - started) * 1e3
                span.finish(route, status)
                self.metrics.request_completed(route, status, elapsed_ms)
                _log_access(context, method, route, status, elapsed_ms)


def _log_access(
    context: RequestContext, method: str, route: str, status: int, elapsed_ms: float
) -> None:
    level = logging.ERROR if status >= 500 else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    fields: dict[str, object] = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(elapsed_ms, 3),
    }
    if context.user_id is not None:
        fields["user_id"] = context.user_id
    access_log.log(level, "request", extra=fields)


def instrument(app: Litestar, tracer: RequestTracer, metrics: RequestMetrics) -> Litestar:
    app.asgi_handler = RequestTelemetry(app.asgi_handler, tracer, metrics)
    return app
