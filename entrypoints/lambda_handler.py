"""AWS Lambda entry: `entrypoints.lambda_handler.handler`.

Serves API Gateway REST (v1) and HTTP API (v2) events and Function URLs through Mangum.
The app is built on the first invocation and reused by the warm container; the ASGI
lifespan is off because Mangum would otherwise run it on every invocation.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

_adapter: Mangum | None = None


def _build() -> Mangum:
    from entrypoints.bootstrap import build_services
    from entrypoints.http.app import create_app
    from entrypoints.settings import load_settings
    from observability.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, pretty=False)
    app = create_app(build_services(settings))
    return Mangum(app, lifespan="off")  # type: ignore[arg-type] # Litestar's scope types are narrower


def _strip_stage(event: dict[str, Any]) -> dict[str, Any]:
    """HTTP API (v2) events of a named stage carry it in `rawPath` (`/prod/api/...`);
    REST (v1) events do not. Routes are stage-free, so drop it."""
    stage = event.get("requestContext", {}).get("stage")
    raw_path = event.get("rawPath")
    if (
        event.get("version") == "2.0"
        and stage
        and stage != "$default"
        and isinstance(raw_path, str)
    ):
        prefix = f"/{stage}"
        if raw_path == prefix or raw_path.startswith(prefix + "/"):
            return {**event, "rawPath": raw_path[len(prefix) :] or "/"}
    return event


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _adapter
    if _adapter is None:
        _adapter = _build()
    response: dict[str, Any] = _adapter(_strip_stage(event), context)
    return response
