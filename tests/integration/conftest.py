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
    # No AWS_LAMBDA_FUNCTION_NAME (the runtime's mark): on Lambda APP_ENV must be dev or
    # prod, and these tests read the console emails of APP_ENV=test. `deployed` sets it.
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    mangum_level = logging.getLogger("mangum").level
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    lambda_handler._adapter = None
    lambda_handler._refused = None
    try:
        yield
    finally:
        lambda_handler._adapter = None
        lambda_handler._refused = None
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("mangum").setLevel(mangum_level)
        loop.close()
        asyncio.set_event_loop(None)


# What a deployed function's environment has besides the stack's variables: the runtime's
# name for the function, a stage, a generated secret and an SES sender (and the memory
# store, for tests without a MongoDB).
DEPLOYED = {
    "AWS_LAMBDA_FUNCTION_NAME": LambdaContext.function_name,
    "APP_ENV": "prod",
    "JWT_SECRET": "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA",
    "EMAIL_FROM": "no-reply@example.com",
    "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
    "APP_STORAGE": "memory",
}


@pytest.fixture
def deployed(cold_lambda: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold container configured as deployed (no email is sent by these tests)."""
    for name, value in DEPLOYED.items():
        monkeypatch.setenv(name, value)
