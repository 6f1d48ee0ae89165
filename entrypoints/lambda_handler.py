"""AWS Lambda entry: `entrypoints.lambda_handler.handler`.

Serves API Gateway REST (v1) and HTTP API (v2) events and Function URLs through Mangum.
The app is built on the first invocation and reused by the warm container; the ASGI
lifespan is off because Mangum would otherwise run it on every invocation.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from mangum.types import Receive, Scope, Send

from entrypoints.settings import SettingsError
from observability.context import lambda_invocation

_adapter: Mangum | None = None
# A configuration the cold start refused: every invocation then fails with it.
_refused: SettingsError | None = None
# Exports what the tracer buffered; run after every invocation, before Lambda freezes us.
_flush: Callable[[], None] = lambda: None  # noqa: E731


def _build() -> Mangum:
    global _flush
    # Lambda logs JSON only. structlog imports `rich` for pretty console output when it
    # is installed (litestar pulls it in for its CLI): ~40 ms of cold start for nothing.
    sys.modules.setdefault("rich", None)  # type: ignore[arg-type]
    from entrypoints.bootstrap import build_services
    from entrypoints.http.app import create_app
    from entrypoints.secrets import with_secrets
    from entrypoints.settings import load_settings
    from observability.logging import configure_logging

    # Secret values come from Secrets Manager (ARNs in the environment), read once.
    settings = load_settings(with_secrets(os.environ))
    configure_logging(settings.log_level, pretty=False)
    services = build_services(settings)
    _flush = services.adapters.tracer.flush
    app = create_app(services)
    # Problem bodies are text too; without this Mangum base64-encodes them.
    text_types = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
    return Mangum(with_raw_path(app), lifespan="off", text_mime_types=text_types)


def with_raw_path(app: Any) -> Any:
    """Mangum percent-decodes the event's path and sends no `raw_path`, so `/api%2Fv1/...`
    would reach the app as `/api/v1/...`. The path as API Gateway passed it on (encoded
    for REST APIs and Function URLs; HTTP APIs decode it themselves) goes in `raw_path`,
    where the app's canonical-path check sees encoded separators. Set in front of the
    app's own handler, so Mangum still holds the Litestar app itself."""
    inner = app.asgi_handler

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event") or {}
        raw = event.get("rawPath") if event.get("version") == "2.0" else event.get("path")
        if scope.get("raw_path") is None and isinstance(raw, str):
            scope["raw_path"] = raw.encode()
        await inner(scope, receive, send)

    app.asgi_handler = asgi
    return app


def _strip_stage(event: dict[str, Any]) -> dict[str, Any]:
    """HTTP API (v2) events of a named stage carry it in `rawPath` (`/prod/api/...`);
    REST (v1) events do not. Routes are stage-free, so drop it."""
    context = event.get("requestContext", {})
    stage = context.get("stage")
    if event.get("version") != "2.0" or not stage or stage == "$default":
        return event
    prefix = f"/{stage}"

    def strip(path: Any) -> Any:
        if isinstance(path, str) and (path == prefix or path.startswith(prefix + "/")):
            return path[len(prefix) :] or "/"
        return path

    # Mangum routes on requestContext.http.path; rawPath is kept consistent with it.
    http = context.get("http", {})
    return {
        **event,
        "rawPath": strip(event.get("rawPath")),
        "requestContext": {**context, "http": {**http, "path": strip(http.get("path"))}},
    }


def _start() -> Mangum:
    """Build the app, or fail closed: a setting that does not validate stops the cold
    start with one JSON log line naming it (no traceback), and every invocation of this
    container then fails with the same error instead of serving with a fallback."""
    global _refused
    if _refused is None:
        try:
            return _build()
        except SettingsError as exc:
            _refused = exc
            line = {
                "level": "critical",
                "event": "configuration_refused",
                "setting": exc.setting,
                "error": str(exc),
            }
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
    raise SettingsError(str(_refused), _refused.setting) from None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _adapter
    if _adapter is None:
        _adapter = _start()
    # The access log, spans and metrics of this invocation name its request and trace.
    request_id = getattr(context, "aws_request_id", None)
    with lambda_invocation(request_id, os.environ.get("_X_AMZN_TRACE_ID")):
        try:
            response: dict[str, Any] = _adapter(_strip_stage(event), context)
        finally:
            _flush()
    return response
