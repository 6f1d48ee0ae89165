"""AWS Lambda entry: `entrypoints.lambda_handler.handler`.

Serves API Gateway REST (v1) and HTTP API (v2) events and Function URLs through Mangum.
The app is built on the first invocation and reused by the warm container; the ASGI
lifespan is off because Mangum would otherwise run it on every invocation.
"""

from __future__ import annotations

import sys
from typing import Any

from mangum import Mangum

DEFAULT_TEXT_MIME_TYPES = [
    "application/json",
    "application/javascript",
    "application/xml",
    "application/vnd.api+json",
    "application/vnd.oai.openapi",
]

_adapter: Mangum | None = None


def _build() -> Mangum:
    # Lambda logs JSON only. structlog imports `rich` for pretty console output when it
    # is installed (litestar pulls it in for its CLI): ~40 ms of cold start for nothing.
    sys.modules.setdefault("rich", None)  # type: ignore[arg-type]
    from entrypoints.bootstrap import build_services
    from entrypoints.http.app import create_app
    from entrypoints.settings import load_settings
    from observability.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, pretty=False)
    app = create_app(build_services(settings))
    # Problem bodies are text too; without this Mangum base64-encodes them.
    text_types = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
    return Mangum(app, lifespan="off", text_mime_types=text_types)  # type: ignore[arg-type]


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


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _adapter
    if _adapter is None:
        _adapter = _build()
    response: dict[str, Any] = _adapter(_strip_stage(event), context)
    return response
