"""The per-IP sign-in throttle keys on the trusted client-address header only when set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.security.argon2_hasher import Argon2PasswordHasher
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


async def client_with(
    hasher: Argon2PasswordHasher, **env: str
) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = load_settings(
        {"APP_ENV": "test", "JWT_SECRET": "t" * 48, "SIGN_IN_FREE_ATTEMPTS_PER_IP": "2", **env}
    )
    async with AsyncTestClient(create_app(build_services(settings, hasher=hasher))) as client:
        yield client


async def fail_sign_ins(client: AsyncTestClient[Any], viewer: str, count: int) -> list[int]:
    statuses = []
    for n in range(count):
        response = await client.post(
            "/api/v1/auth/sign-in",
            json={"email": f"nobody{n}@example.com", "password": "wrong password here"},
            headers={"X-Viewer-Ip": viewer},
        )
        statuses.append(response.status_code)
    return statuses


async def test_with_a_trusted_header_each_viewer_has_its_own_ip_counter(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    async for client in client_with(argon2_hasher, CLIENT_IP_HEADER="X-Viewer-Ip"):
        assert await fail_sign_ins(client, "198.51.100.1", 3) == [401, 401, 429]
        assert await fail_sign_ins(client, "198.51.100.2", 1) == [401]


async def test_without_the_setting_the_header_is_ignored(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    async for client in client_with(argon2_hasher):
        assert await fail_sign_ins(client, "198.51.100.1", 2) == [401, 401]
        assert await fail_sign_ins(client, "198.51.100.2", 1) == [429]
