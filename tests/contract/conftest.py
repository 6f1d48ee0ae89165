"""One contract suite per repository port, run against every adapter of it:
in-memory, Mongo via PyMongo async and via Motor over TCP to nx-27017, and a real
MongoDB when MONGODB_TEST_URI is set (then it replaces nx-27017 as the target)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.audit import InMemoryAuditLog
from adapters.memory.one_time_tokens import InMemoryOneTimeTokenRepository
from adapters.memory.sessions import InMemoryRefreshSessionRepository
from adapters.memory.throttles import InMemoryThrottleRepository
from adapters.memory.users import InMemoryUserRepository
from adapters.mongo.audit import MongoAuditLog
from adapters.mongo.connection import MongoConfig, MongoConnection
from adapters.mongo.embedded import EmbeddedMongo
from adapters.mongo.one_time_tokens import MongoOneTimeTokenRepository
from adapters.mongo.sessions import MongoRefreshSessionRepository
from adapters.mongo.throttles import MongoThrottleRepository
from adapters.mongo.users import MongoUserRepository
from adapters.security.local_keys import LocalKeyWrapper
from adapters.security.sealing import EnvelopeSealer
from tests.conftest import mongo_test_uri, unique_database


@dataclass
class Stores:
    users: Any
    sessions: Any
    throttles: Any
    tokens: Any
    audit: Any
    # The connection of the Mongo params (None for memory), to plant raw documents.
    connection: MongoConnection | None = None


AUDIT_RETENTION = timedelta(days=30)


@pytest.fixture(params=["memory", "pymongo", "motor"])
async def stores(request: pytest.FixtureRequest, nx_server: EmbeddedMongo) -> AsyncIterator[Stores]:
    if request.param == "memory":
        yield Stores(
            InMemoryUserRepository(),
            InMemoryRefreshSessionRepository(),
            InMemoryThrottleRepository(),
            InMemoryOneTimeTokenRepository(),
            InMemoryAuditLog(AUDIT_RETENTION),
        )
        return
    name = unique_database()
    connection = MongoConnection(
        MongoConfig(uri=mongo_test_uri(nx_server), database=name, driver=request.param)
    )
    yield Stores(
        # TOTP secrets sealed under a key of this test (tests/contract/test_secrets_at_rest.py).
        MongoUserRepository(connection, EnvelopeSealer(LocalKeyWrapper.ephemeral())),
        MongoRefreshSessionRepository(connection),
        MongoThrottleRepository(connection),
        MongoOneTimeTokenRepository(connection),
        MongoAuditLog(connection, AUDIT_RETENTION),
        connection,
    )
    await connection.client().drop_database(name)
    await connection.close()
