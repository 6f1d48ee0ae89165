"""ASGI entry for the local server: `granian --interface asgi --factory entrypoints.asgi:app`."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from observability.logging import configure_logging


def app() -> Litestar:
    """Factory: settings from the environment, one set of services per process."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(build_services(settings))
