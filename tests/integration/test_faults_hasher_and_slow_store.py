"""Fault injection beyond a dead store: a saturated password hasher and a slow store.

The service must keep answering (503 with Retry-After where it must, never a 500 or a
hung request), recover by itself, and lose nothing it acknowledged. Requests go through
`httpx.ASGITransport`, so they run on the test's loop and truly overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.mongo.embedded import EmbeddedMongo
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import STRONG_PASSWORD, unique_database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@contextlib.asynccontextmanager
async def api(**env: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings({"APP_ENV": "test", "JWT_SECRET": "t" * 48, **env})
    services = build_services(settings)
    transport = httpx.ASGITransport(app=create_app(services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client
    finally:
        await services.close()


async def test_a_saturated_hasher_answers_503_with_retry_after_and_recovers() -> None:
    # Throttling counts every attempt of a burst (its own tests cover that): lift it here.
    env = {
        "HASHER_MAX_CONCURRENCY": "1",
        "HASHER_QUEUE_TIMEOUT_SECONDS": "0.05",
        "SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT": "1000",
    }
    async with api(**env) as client:
        body = {"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "Ann"}
        assert (await client.post("/api/v1/auth/sign-up", json=body)).status_code == 201
        sign_in = {"email": "ann@example.com", "password": STRONG_PASSWORD}

        burst = await asyncio.gather(
            *(client.post("/api/v1/auth/sign-in", json=sign_in) for _ in range(12))
        )

        statuses = sorted(r.status_code for r in burst)
        assert set(statuses) == {200, 503}, statuses
        busy = next(r for r in burst if r.status_code == 503)
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["type"] == "/problems/service-busy"
        # Once the burst is over, the hasher serves again.
        assert (await client.post("/api/v1/auth/sign-in", json=sign_in)).status_code == 200


class DelayingProxy:
    """A TCP proxy in front of the store that delays every chunk by `delay` seconds."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while chunk := await reader.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        writer.close()


async def test_a_slow_store_is_a_bounded_503_and_the_service_recovers_with_nothing_lost(
    tmp_path: Path,
) -> None:
    with EmbeddedMongo(tmp_path) as store:
        proxy = DelayingProxy(store.port)
        await proxy.start()
        env = {
            "APP_STORAGE": "mongo",
            "MONGODB_URI": f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true",
            "MONGODB_DATABASE": unique_database(),
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000",
            "MONGODB_TIMEOUT_MS": "1000",
        }
        try:
            async with api(**env) as client:
                body = {"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "Ann"}
                created = await client.post("/api/v1/auth/sign-up", json=body)
                assert created.status_code == 201
                auth = {"Authorization": f"Bearer {created.json()['tokens']['access_token']}"}

                proxy.delay = 0.1  # slow but within the timeout: answered, just later
                assert (await client.get("/api/v1/users/me", headers=auth)).status_code == 200

                proxy.delay = 2.0  # slower than the timeout: a bounded 503, never a hang
                started = time.monotonic()
                slow = await client.get("/api/v1/users/me", headers=auth)
                assert slow.status_code == 503
                assert slow.headers["retry-after"]
                assert time.monotonic() - started < 3.5

                proxy.delay = 0.0  # the store is fast again: the same app recovers
                for _ in range(20):
                    me = await client.get("/api/v1/users/me", headers=auth)
                    if me.status_code == 200:
                        break
                    await asyncio.sleep(0.25)
                assert me.status_code == 200
                assert me.json()["email"] == "ann@example.com"
        finally:
            await proxy.stop()
