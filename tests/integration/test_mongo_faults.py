"""The store dies and comes back (SECURITY.md, "Data and faults").

Each test owns an nx-27017 server in its tmp_path, so killing it (SIGKILL) disturbs no
other test, and restarts it on the same port and data directory. The app and its
services stay the same throughout: recovery must need no rebuild. Requests go through
`httpx.ASGITransport` so they run on the test's loop and truly overlap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.mongo.embedded import EmbeddedMongo
from domain.users import Email
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD, unique_database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
PROBLEM_JSON = "application/problem+json"
# The client settings of these tests; the bar is a 503 within 3 s of the request.
FAST_TIMEOUTS = {"MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000", "MONGODB_TIMEOUT_MS": "2000"}
MAX_SECONDS_TO_503 = 3.0
RECOVERY_SECONDS = 10.0
CUT_OFF_SIGN_UPS = 12


class Store:
    """An nx-27017 server that can crash and be started again where it was."""

    def __init__(self, data_dir: Path) -> None:
        self.server = EmbeddedMongo(data_dir)
        self.server.start()

    @property
    def uri(self) -> str:
        return self.server.uri

    def kill(self) -> None:
        self.server.kill()

    async def restart(self) -> None:
        """Same data directory, same port: the client's URI stays valid."""
        self.server = EmbeddedMongo(self.server.data_dir, port=self.server.port)
        await asyncio.to_thread(self.server.start)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    own = Store(tmp_path / "nx-27017")
    yield own
    own.server.stop()


@pytest.fixture(params=["pymongo", "motor"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Api:
    http: httpx.AsyncClient
    services: Services


MakeApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_api(store: Store, driver: str) -> AsyncIterator[MakeApi]:
    """`await make_api(rewire=..., **env)`: one app on the own store, closed at teardown;
    `rewire(services)` may return adapter overrides wrapping the real ones."""
    opened: list[Api] = []

    async def make(rewire: Callable[[Services], dict[str, Any]] | None = None, **env: str) -> Api:
        settings = load_settings(
            {
                "APP_ENV": "test",
                "JWT_SECRET": "t" * 48,
                "APP_STORAGE": "mongo",
                "MONGODB_URI": store.uri,
                "MONGODB_DATABASE": unique_database(),
                "MONGODB_DRIVER": driver,
                **env,
            }
        )
        services = build_services(settings)
        if rewire is not None:  # the same connection and repositories, some wrapped
            base = services.adapters
            shared = {
                "users": base.users,
                "sessions": base.sessions,
                "throttles": base.throttles,
                "hasher": base.hasher,
                "store": base.store,
                "mongo": base.mongo,
            }
            services = build_services(settings, **{**shared, **rewire(services)})
        transport = httpx.ASGITransport(app=create_app(services))
        api = Api(httpx.AsyncClient(transport=transport, base_url="http://testserver"), services)
        opened.append(api)
        return api

    yield make
    for api in opened:
        await api.http.aclose()
        await api.services.close()


@dataclass(frozen=True)
class Timed:
    response: httpx.Response
    seconds: float


async def timed(request: Awaitable[httpx.Response]) -> Timed:
    started = time.monotonic()
    response = await request
    return Timed(response, time.monotonic() - started)


def sign_up(api: Api, email: str, password: str = STRONG_PASSWORD) -> Awaitable[httpx.Response]:
    return api.http.post(
        f"{AUTH}/sign-up", json={"email": email, "password": password, "name": "Ann"}
    )


def sign_in(api: Api, email: str, password: str = STRONG_PASSWORD) -> Awaitable[httpx.Response]:
    return api.http.post(f"{AUTH}/sign-in", json={"email": email, "password": password})


def refresh(api: Api, tokens: dict[str, Any]) -> Awaitable[httpx.Response]:
    return api.http.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_unavailable(result: Timed, what: str, *, in_time: bool = True) -> None:
    """A 503 problem with Retry-After, in time, telling nothing about the driver.

    `in_time=False` where the request's own clock includes a wait that is not the
    store's (a queue for the hasher): there the bound would measure the machine's load.
    """
    response = result.response
    assert response.status_code == 503, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), what
    assert int(response.headers["retry-after"]) >= 1, what
    body = response.json()
    assert body["status"] == 503, what
    assert body["type"] == "/problems/store-unavailable", what
    for leak in ("pymongo", "motor", "Timeout:", "Topology", "127.0.0.1"):
        assert leak not in response.text, what
    if in_time:
        assert result.seconds <= MAX_SECONDS_TO_503, f"{what}: 503 after {result.seconds:.2f} s"


async def until_ok(request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Repeats the request until it is 200, within RECOVERY_SECONDS."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = await request()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        assert response.status_code == 503, response.text
        await asyncio.sleep(0.1)


# --- a crash, the outage, the recovery -------------------------------------------------


async def test_a_killed_store_gets_quick_503s_and_the_same_app_recovers_after_restart(
    store: Store, make_api: MakeApi
) -> None:
    api = await make_api(**FAST_TIMEOUTS)
    created = await sign_up(api, "ann@example.com")
    assert created.status_code == 201, created.text
    tokens = created.json()["tokens"]
    assert (await api.http.get(ME, headers=bearer(tokens))).status_code == 200

    store.kill()

    for outage_round in (1, 2):  # the second round: the app keeps answering, no hang
        results = await asyncio.gather(
            timed(api.http.get(ME, headers=bearer(tokens))),
            timed(sign_up(api, f"bob{outage_round}@example.com")),
            timed(api.http.get("/health/ready")),
            timed(sign_in(api, "ann@example.com")),
            timed(refresh(api, tokens)),
        )
        names = ("GET /me", "sign-up", "readiness", "sign-in", "refresh")
        for name, result in zip(names, results, strict=True):
            assert_unavailable(result, f"round {outage_round}, {name}")
        liveness = await api.http.get("/health")
        assert liveness.status_code == 200, "liveness needs no store"

    await store.restart()

    me = await until_ok(lambda: api.http.get(ME, headers=bearer(tokens)))
    assert me.status_code == 200, me.text
    assert me.json() == created.json()["user"]
    assert (await api.http.get("/health/ready")).status_code == 200
    # Everything acknowledged before the crash survived it: the user, its password
    # hash and its refresh session.
    assert (await sign_in(api, "ann@example.com")).status_code == 200
    refreshed = await refresh(api, tokens)
    assert refreshed.status_code == 200, refreshed.text
    # The sign-ups refused during the outage left nothing behind and can be redone.
    assert await api.services.adapters.users.get_by_email(Email("bob1@example.com")) is None
    assert (await sign_up(api, "bob1@example.com")).status_code == 201


async def test_sign_ups_cut_off_by_a_crash_leave_no_half_created_user(
    store: Store, make_api: MakeApi
) -> None:
    api = await make_api(**FAST_TIMEOUTS)
    assert (await sign_up(api, "warm@example.com")).status_code == 201  # indexes exist
    emails = [f"user{i}@example.com" for i in range(CUT_OFF_SIGN_UPS)]
    # Each with its own password, so a stored hash can only be its own.
    passwords = {email: f"{OTHER_PASSWORD} {i}" for i, email in enumerate(emails)}
    tasks = [
        asyncio.ensure_future(timed(sign_up(api, email, passwords[email]))) for email in emails
    ]

    # The hasher takes four at a time: when the first is answered, the rest are
    # hashing, writing or still queued.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    store.kill()
    results = dict(zip(emails, await asyncio.gather(*tasks), strict=True))

    outcomes = {email: result.response.status_code for email, result in results.items()}
    assert set(outcomes.values()) == {201, 503}, outcomes
    for email, result in results.items():
        if result.response.status_code == 503:
            # Queued sign-ups waited for the hasher before they met the dead store;
            # the time to a 503 is the other tests' subject.
            assert_unavailable(result, f"sign-up of {email}", in_time=False)

    await store.restart()
    assert (await until_ok(lambda: api.http.get("/health/ready"))).status_code == 200

    for email, status in outcomes.items():
        stored = await api.services.adapters.users.get_by_email(Email(email))
        if status == 201:
            assert stored is not None, f"{email} was acknowledged, then lost"
        if stored is None:
            continue
        # Whatever is stored is complete: its own hash, and it signs in.
        assert stored.password_hash.startswith("$argon2id$"), email
        response = await sign_in(api, email, passwords[email])
        assert response.status_code == 200, f"{email} ({status}): {response.text}"


class CrashBeforeFirstSession:
    """The real session repository, but the store crashes just before the first write:
    the user of that sign-up is stored, its session is not."""

    def __init__(self, inner: Any, store: Store) -> None:
        self._inner = inner
        self._store: Store | None = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def add(self, session: Any) -> None:
        if self._store is not None:
            self._store.kill()
            self._store = None
        await self._inner.add(session)


async def test_a_sign_up_cut_off_after_its_user_was_stored_leaves_a_user_who_can_sign_in(
    store: Store, make_api: MakeApi
) -> None:
    api = await make_api(
        rewire=lambda services: {
            "sessions": CrashBeforeFirstSession(services.adapters.sessions, store)
        },
        **FAST_TIMEOUTS,
    )

    result = await timed(sign_up(api, "ann@example.com"))

    assert_unavailable(result, "sign-up whose session write failed")
    await store.restart()
    assert (await until_ok(lambda: api.http.get("/health/ready"))).status_code == 200
    stored = await api.services.adapters.users.get_by_email(Email("ann@example.com"))
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    response = await sign_in(api, "ann@example.com")
    assert response.status_code == 200, response.text
    assert (await api.http.get(ME, headers=bearer(response.json()))).status_code == 200


@pytest.mark.parametrize("driver", ["pymongo"])  # Motor wraps the same client: same result
async def test_with_the_default_timeouts_a_write_to_a_dead_store_is_a_503_within_3_s(
    store: Store, make_api: MakeApi
) -> None:
    api = await make_api()  # MONGODB_*_TIMEOUT_MS left at their defaults
    assert (await sign_up(api, "ann@example.com")).status_code == 201
    store.kill()
    await sign_up(api, "first@example.com")  # the pooled connection fails at once

    result = await timed(sign_up(api, "bob@example.com"))

    assert_unavailable(result, "sign-up with the default timeouts")
