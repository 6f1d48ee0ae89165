"""Fixtures shared by the Lambda handler tests."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator

import pytest

from entrypoints import lambda_handler
from tests.integration.lambda_events import LambdaContext

# Everything `entrypoints.settings` reads: a developer's shell must not leak into the tests.
SETTINGS_PREFIXES = (
    "APP_",
    "MONGODB_",
    "LOG_LEVEL",
    "JWT_",
    "ACCESS_TOKEN_",
    "REFRESH_",
    "PASSWORD_",
    "ARGON2_",
    "HASHER_",
    "SIGN_IN_",
    "AWS_LAMBDA_",
    "TRACER",
    "METRICS",
    "SERVICE_NAME",
    "OTEL_",
    "CLIENT_IP_HEADER",
)


@pytest.fixture
def cold_lambda(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cold container per test: test env, no cached app, its own event loop, and the
    root logger (which the handler reconfigures) restored afterwards."""
    for name in [name for name in os.environ if name.startswith(SETTINGS_PREFIXES)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("JWT_SECRET", "s" * 48)
    # Set by the Lambda runtime itself.
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", LambdaContext.function_name)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    mangum_level = logging.getLogger("mangum").level
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    lambda_handler._adapter = None
    try:
        yield
    finally:
        lambda_handler._adapter = None
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("mangum").setLevel(mangum_level)
        loop.close()
        asyncio.set_event_loop(None)
