"""Concurrency on the MongoDB adapters (SECURITY.md, "Data and faults" and "Tokens").

Every race runs over HTTP against the real store (nx-27017, or MONGODB_TEST_URI), once
per driver. Requests go through `httpx.ASGITransport`, which runs the app on the test's
event loop, so `asyncio.gather` really interleaves them: Litestar's `AsyncTestClient`
hands each request to a portal thread and waits for it, which would run them one by one
and prove nothing.

The plain races use the production wiring. The "gated" ones hold every writer at a
barrier just before its conditional write, so all of them have passed the use case's own
checks on the same stale read and only the store's compare-and-set can pick the winner.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from adapters.mongo.connection import SESSIONS
from adapters.mongo.embedded import EmbeddedMongo
from domain.errors import StaleVersionError
from domain.users import Email, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import STRONG_PASSWORD, mongo_test_uri, unique_database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
PROBLEM_JSON = "application/problem+json"
SIGN_UPS = 50
PATCHES = 20
BARRIER_TIMEOUT_SECONDS = 10


# --- wiring --------------------------------------------------------------------------


@pytest.fixture(params=["pymongo", "motor"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Api:
    """An HTTP client on the app, and the services behind it (for checks in the store)."""

    http: httpx.AsyncClient
    services: Services


MakeApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_api(nx_server: EmbeddedMongo, driver: str) -> AsyncIterator[MakeApi]:
    """`await make_api(ENV=..., rewire=...)`: services on a fresh database of the shared
    server; `rewire(services)` may return adapter overrides (wrapping the real ones)."""
    opened: list[tuple[httpx.AsyncClient, Services]] = []

    async def make(rewire: Callable[[Services], dict[str, Any]] | None = None, **env: str) -> Api:
        settings = load_settings(
            {
                "APP_ENV": "test",
                "JWT_SECRET": "t" * 48,
                "APP_STORAGE": "mongo",
                "MONGODB_URI": mongo_test_uri(nx_server),
                "MONGODB_DATABASE": unique_database(),
                "MONGODB_DRIVER": driver,
                **env,
            }
        )
        services = build_services(settings)
        if rewire is not None:
            base = services.adapters
            # The same connection and repositories, some of them wrapped.
            shared = {
                "users": base.users,
                "sessions": base.sessions,
                "throttles": base.throttles,
                "hasher": base.hasher,
                "store": base.store,
                "mongo": base.mongo,
            }
            services = build_services(settings, **{**shared, **rewire(services)})
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(services)), base_url="http://testserver"
        )
        opened.append((http, services))
        return Api(http, services)

    yield make
    for http, services in opened:
        await http.aclose()
        mongo = services.adapters.mongo
        if mongo is not None:  # the server is shared (and may be a real MongoDB)
            await mongo.client().drop_database(mongo.config.database)
        await services.close()


async def sign_up(api: Api, email: str, name: str = "Ann") -> httpx.Response:
    return await api.http.post(
        f"{AUTH}/sign-up", json={"email": email, "password": STRONG_PASSWORD, "name": name}
    )


async def signed_up(api: Api, email: str = "ann@example.com") -> dict[str, Any]:
    response = await sign_up(api, email)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"] == f"/problems/{slug}"


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def all_users(services: Services) -> list[User]:
    return await services.adapters.users.list_page(100, None)


async def stored_sessions(services: Services) -> int:
    assert services.adapters.mongo is not None
    db = await services.adapters.mongo.database()
    count: int = await db[SESSIONS].count_documents({})
    return count


@contextlib.contextmanager
def peak_of(read: Callable[[], int]) -> Iterator[list[int]]:
    """Samples `read()` every millisecond while the block runs; yields [peak]."""
    peak = [0]

    async def sample() -> None:
        while True:
            peak[0] = max(peak[0], read())
            await asyncio.sleep(0.001)

    task = asyncio.get_running_loop().create_task(sample())
    try:
        yield peak
    finally:
        task.cancel()


class Gate:
    """Holds its callers until `parties` of them are waiting, then stays open."""

    def __init__(self, parties: int) -> None:
        self._parties = parties
        self._opened = asyncio.Event()

    async def wait(self) -> None:
        self._parties -= 1
        if self._parties <= 0:
            self._opened.set()
        async with asyncio.timeout(BARRIER_TIMEOUT_SECONDS):
            await self._opened.wait()


class GatedInserts:
    """The real user repository whose `add` waits at a gate first."""

    def __init__(self, inner: Any, gate: Gate) -> None:
        self._inner = inner
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def add(self, user: User) -> None:
        await self._gate.wait()
        await self._inner.add(user)


class GatedUsers:
    """The real user repository whose `update` waits at a gate first."""

    def __init__(self, inner: Any, gate: Gate) -> None:
        self._inner = inner
        self._gate = gate
        self.store_conflicts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def update(self, user: User, expected_version: int) -> None:
        await self._gate.wait()
        try:
            await self._inner.update(user, expected_version)
        except StaleVersionError:
            self.store_conflicts += 1
            raise


class GatedSessions:
    """The real refresh-session repository whose `spend` waits at a gate first."""

    def __init__(self, inner: Any, gate: Gate) -> None:
        self._inner = inner
        self._gate = gate
        self.spent: list[bool] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def spend(self, token_hash: str, now: datetime) -> bool:
        await self._gate.wait()
        spent = bool(await self._inner.spend(token_hash, now))
        self.spent.append(spent)
        return spent


# --- sign-up -------------------------------------------------------------------------


async def test_fifty_concurrent_sign_ups_of_one_email_create_exactly_one_user(
    make_api: MakeApi,
) -> None:
    # Every sign-up waits at a gate just before its insert, so all of them have passed
    # the use case's own "is it taken?" check on the same empty store and only the
    # store's unique index can pick the winner. Enough hashing slots and patience that
    # none is turned away by the hasher, and no per-client sign-up limit: all fifty
    # come from this one test client.
    gate = Gate(SIGN_UPS)

    def rewire(services: Services) -> dict[str, Any]:
        return {"users": GatedInserts(services.adapters.users, gate)}

    api = await make_api(
        rewire=rewire,
        HASHER_MAX_CONCURRENCY="8",
        HASHER_QUEUE_TIMEOUT_SECONDS="60",
        SIGN_UPS_PER_CLIENT_PER_HOUR="1000",
    )
    hasher: Any = api.services.adapters.hasher
    # One address, spelt three ways: the store sees one normalized email.
    spellings = ["race@example.com", "RACE@Example.com", "  Race@EXAMPLE.com "]
    emails = [spellings[i % len(spellings)] for i in range(SIGN_UPS)]

    with peak_of(lambda: int(hasher.in_flight)) as peak:
        responses = await asyncio.gather(
            *(sign_up(api, email, name=f"Racer {i}") for i, email in enumerate(emails))
        )

    assert peak[0] > 1, "the sign-ups did not overlap: the race was never run"
    assert statuses(responses) == {201: 1, 409: SIGN_UPS - 1}, statuses(responses)
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "email-taken")
    winner = next(r.json()["user"] for r in responses if r.status_code == 201)
    stored = await api.services.adapters.users.get_by_email(Email("race@example.com"))
    assert stored is not None
    assert (stored.id, stored.name) == (winner["id"], winner["name"])
    assert [user.id for user in await all_users(api.services)] == [winner["id"]]
    sign_in = await api.http.post(
        f"{AUTH}/sign-in", json={"email": "race@example.com", "password": STRONG_PASSWORD}
    )
    assert sign_in.status_code == 200, sign_in.text


# --- refresh-token rotation ----------------------------------------------------------


async def refresh(api: Api, token: str) -> httpx.Response:
    return await api.http.post(f"{AUTH}/refresh", json={"refresh_token": token})


async def test_two_concurrent_refreshes_of_one_token_yield_exactly_one_new_pair(
    make_api: MakeApi,
) -> None:
    api = await make_api()
    old = (await signed_up(api))["tokens"]["refresh_token"]

    responses = await asyncio.gather(refresh(api, old), refresh(api, old))

    assert statuses(responses) == {200: 1, 401: 1}, statuses(responses)
    assert await stored_sessions(api.services) == 2  # the sign-up's and one new one
    winner = next(r for r in responses if r.status_code == 200).json()
    assert_problem(next(r for r in responses if r.status_code == 401), 401, "unauthenticated")
    assert winner["refresh_token"] != old
    # The loser raced inside the reuse grace window: the family survives, and the one
    # new pair is the live one.
    me = await api.http.get(f"{USERS}/me", headers=bearer(winner))
    assert me.status_code == 200, me.text
    assert (await refresh(api, winner["refresh_token"])).status_code == 200
    assert (await refresh(api, old)).status_code == 401


async def test_two_refreshes_that_both_read_the_live_token_are_settled_by_the_store(
    make_api: MakeApi,
) -> None:
    gate = Gate(2)
    gated: list[GatedSessions] = []

    def rewire(services: Services) -> dict[str, Any]:
        gated.append(GatedSessions(services.adapters.sessions, gate))
        return {"sessions": gated[0]}

    api = await make_api(rewire=rewire)
    old = (await signed_up(api))["tokens"]["refresh_token"]

    responses = await asyncio.gather(refresh(api, old), refresh(api, old))

    assert sorted(gated[0].spent) == [False, True]
    assert statuses(responses) == {200: 1, 401: 1}, statuses(responses)
    assert await stored_sessions(api.services) == 2
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (await refresh(api, winner["refresh_token"])).status_code == 200


# --- optimistic updates --------------------------------------------------------------


async def patch_name(
    api: Api, user_id: str, etag: str, token: dict[str, Any], name: str
) -> httpx.Response:
    return await api.http.patch(
        f"{USERS}/{user_id}", json={"name": name}, headers={**bearer(token), "If-Match": etag}
    )


async def assert_one_patch_won(
    api: Api, user_id: str, responses: list[httpx.Response], tokens: dict[str, Any]
) -> None:
    assert statuses(responses) == {200: 1, 412: PATCHES - 1}, statuses(responses)
    for response in responses:
        if response.status_code == 412:
            assert_problem(response, 412, "stale-version")
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.json()["version"] == 2
    stored = await api.services.adapters.users.get(user_id)
    assert stored is not None
    assert (stored.name, stored.version) == (winner.json()["name"], 2)
    # The whole document survived the conditional replace, dates still dates.
    assert stored.password_hash.startswith("$argon2id$")
    assert isinstance(stored.created_at, datetime)
    assert isinstance(stored.updated_at, datetime)
    assert stored.updated_at >= stored.created_at
    me = await api.http.get(f"{USERS}/me", headers=bearer(tokens))
    assert me.json()["name"] == winner.json()["name"]
    assert me.headers["etag"] == winner.headers["etag"]


async def test_twenty_concurrent_patches_with_one_etag_let_exactly_one_win(
    make_api: MakeApi,
) -> None:
    api = await make_api()
    body = await signed_up(api)
    user_id, tokens = body["user"]["id"], body["tokens"]
    etag = (await api.http.get(f"{USERS}/me", headers=bearer(tokens))).headers["etag"]

    responses = await asyncio.gather(
        *(patch_name(api, user_id, etag, tokens, f"Writer {i}") for i in range(PATCHES))
    )

    await assert_one_patch_won(api, user_id, responses, tokens)


async def test_twenty_patches_that_all_read_version_one_are_settled_by_the_store(
    make_api: MakeApi,
) -> None:
    gate = Gate(PATCHES)
    gated: list[GatedUsers] = []

    def rewire(services: Services) -> dict[str, Any]:
        gated.append(GatedUsers(services.adapters.users, gate))
        return {"users": gated[0]}

    api = await make_api(rewire=rewire)
    body = await signed_up(api)
    user_id, tokens = body["user"]["id"], body["tokens"]
    etag = (await api.http.get(f"{USERS}/me", headers=bearer(tokens))).headers["etag"]

    responses = await asyncio.gather(
        *(patch_name(api, user_id, etag, tokens, f"Writer {i}") for i in range(PATCHES))
    )

    # Every writer passed the use case's version check; the store's filter refused all
    # but one.
    assert gated[0].store_conflicts == PATCHES - 1
    await assert_one_patch_won(api, user_id, responses, tokens)
