"""One client per process, created lazily; indexes ensured once, idempotently."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING

from adapters.mongo.errors import store_call

DRIVERS = ("pymongo", "motor")

USERS = "users"
SESSIONS = "refresh_sessions"
THROTTLES = "throttles"
ONE_TIME_TOKENS = "one_time_tokens"
AUDIT = "audit_events"


@dataclass(frozen=True, slots=True)
class MongoConfig:
    uri: str
    database: str = "serverless_auth"
    driver: str = "pymongo"
    server_selection_timeout_ms: int = 1500
    timeout_ms: int = 2000
    max_pool_size: int = 10


async def ensure_indexes(db: Any) -> None:
    """Create every index the adapters rely on. Safe to run again (same keys, same options).

    Indexes are addressed by keys, not names (the embedded server names them differently).
    """
    await db[USERS].create_index([("email", ASCENDING)], unique=True)
    await db[USERS].create_index([("created_at", ASCENDING)])
    await db[USERS].create_index([("role", ASCENDING)])
    await db[SESSIONS].create_index([("family_id", ASCENDING)])
    await db[SESSIONS].create_index([("user_id", ASCENDING)])
    # Sessions vanish once their family can no longer be used (absolute expiry).
    await db[SESSIONS].create_index([("family_expires_at", ASCENDING)], expireAfterSeconds=0)
    # A user's live sessions (list_live): equality on the first three keys, then the sort.
    await db[SESSIONS].create_index(
        [
            ("user_id", ASCENDING),
            ("revoked", ASCENDING),
            ("spent_at", ASCENDING),
            ("created_at", DESCENDING),
            ("family_id", DESCENDING),
        ]
    )
    await db[THROTTLES].create_index([("expire_at", ASCENDING)], expireAfterSeconds=0)
    await db[ONE_TIME_TOKENS].create_index([("user_id", ASCENDING)])
    await db[ONE_TIME_TOKENS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
    # Each audit event carries its own expiry (at + retention at write time), so a new
    # retention setting applies to new events without changing the index.
    await db[AUDIT].create_index([("expire_at", ASCENDING)], expireAfterSeconds=0)
    # Pages sort on (at, event_id): `event_id` repeats `_id`, which nx-27017 cannot index
    # in a compound index.
    await db[AUDIT].create_index(
        [("user_id", ASCENDING), ("at", ASCENDING), ("event_id", ASCENDING)]
    )
    await db[AUDIT].create_index([("at", ASCENDING), ("event_id", ASCENDING)])


class MongoConnection:
    """Lazily opens the client on first use, so importing and building cost no I/O and a
    warm Lambda container reuses one client across invocations."""

    def __init__(self, config: MongoConfig) -> None:
        if config.driver not in DRIVERS:
            raise ValueError(f"MongoDB driver must be one of {', '.join(DRIVERS)}")
        self.config = config
        self._client: Any = None
        self._indexed = False
        self._index_lock: asyncio.Lock | None = None

    def client(self) -> Any:
        if self._client is None:
            options: dict[str, Any] = {
                "serverSelectionTimeoutMS": self.config.server_selection_timeout_ms,
                "timeoutMS": self.config.timeout_ms,
                "maxPoolSize": self.config.max_pool_size,
                "w": "majority",
                "retryWrites": True,
                "tz_aware": True,
                "appname": "serverless-auth",
            }
            if self.config.driver == "motor":
                from motor.motor_asyncio import (
                    AsyncIOMotorClient,
                )

                self._client = AsyncIOMotorClient(self.config.uri, **options)
            else:
                from pymongo import AsyncMongoClient

                self._client = AsyncMongoClient(self.config.uri, **options)
        return self._client

    async def database(self) -> Any:
        """The database handle, with indexes ensured on first use."""
        db = self.client()[self.config.database]
        if not self._indexed:
            if self._index_lock is None:
                self._index_lock = asyncio.Lock()
            async with self._index_lock:
                if not self._indexed:
                    await store_call(ensure_indexes)(db)
                    self._indexed = True
        return db

    @store_call
    async def ping(self) -> None:
        await self.client()[self.config.database].command("ping")

    async def close(self) -> None:
        if self._client is not None:
            result = self._client.close()
            if asyncio.iscoroutine(result):  # PyMongo async closes asynchronously, Motor not
                await result
            self._client = None
            self._indexed = False
