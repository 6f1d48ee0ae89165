"""Shared fixtures: settings, services wired with in-memory adapters, an HTTP client."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from adapters.mongo.embedded import EmbeddedMongo
from adapters.security.argon2_hasher import Argon2Params, Argon2PasswordHasher
from application.users.create_user import NewUser
from domain.users import Role, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from tests.fakes import FixedClock, PlainPasswordHasher, SequentialIds

STRONG_PASSWORD = "velvet harbor quantum meadow"
OTHER_PASSWORD = "tremendous purple elephant dance"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def argon2_hasher() -> Argon2PasswordHasher:
    """The real hasher at the OWASP floor, shared: building one costs a hash."""
    return Argon2PasswordHasher(Argon2Params())


@pytest.fixture
def settings() -> Settings:
    # No response floor for "email me a link" here; the timing tests set their own.
    return load_settings(
        {"APP_ENV": "test", "JWT_SECRET": "t" * 48, "EMAIL_LINK_MIN_RESPONSE_MS": "0"}
    )


@pytest.fixture
def outbox() -> InMemoryEmailSender:
    """The emails the services sent (verification and reset links)."""
    return InMemoryEmailSender()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def fake_services(settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender) -> Services:
    """Use-case wiring with a controllable clock, sequential ids and a fast hasher."""
    return build_services(
        settings, clock=clock, ids=SequentialIds(), hasher=PlainPasswordHasher(), email=outbox
    )


@pytest.fixture
def services(settings: Settings, outbox: InMemoryEmailSender) -> Services:
    """Production wiring (real argon2, JWT, clock), in-memory storage and mail outbox."""
    return build_services(settings, email=outbox)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(services)) as test_client:
        yield test_client


MakeUser = Callable[..., Awaitable[User]]


@pytest.fixture
def make_user(services: Services) -> MakeUser:
    """Store a user directly (no HTTP): `await make_user(email=..., role=Role.ADMIN)`.
    Verified by default, as the CLI makes admins; pass `email_verified=False` for others."""

    async def make(
        email: str = "ann@example.com",
        password: str = STRONG_PASSWORD,
        name: str = "Ann",
        role: Role = Role.USER,
        email_verified: bool = True,
    ) -> User:
        return await services.user_factory.create(
            NewUser(email, password, name, role, email_verified=email_verified)
        )

    return make


async def bearer_for(
    client: AsyncTestClient[Any], email: str, password: str = STRONG_PASSWORD
) -> dict[str, str]:
    """Sign in over HTTP and return the Authorization header."""
    response = await client.post(
        "/api/v1/auth/sign-in", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def nx_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    """A real nx-27017 MongoDB wire-protocol server over TCP, one per test session."""
    with EmbeddedMongo(tmp_path_factory.mktemp("nx-27017")) as server:
        yield server


def mongo_test_uri(nx: EmbeddedMongo) -> str:
    """MONGODB_TEST_URI (a real MongoDB/Atlas) when set, else the nx-27017 server."""
    return os.environ.get("MONGODB_TEST_URI") or nx.uri


def unique_database() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"
