from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from adapters.mongo.connection import THROTTLES, MongoConnection
from adapters.mongo.errors import store_call
from domain.auth import ThrottlePolicy, ThrottleState
from domain.errors import StoreUnavailableError

# Every round of compare-and-set lets one of the concurrent writers of a key through;
# the others wait a random moment (spreading them out) and read again. A burst of
# requests from one client on one key (its sign-up or sign-in counter) gets through
# this many rounds before the store is reported as too contended (503).
MAX_RACE_RETRIES = 64
BACKOFF_SECONDS = 0.002


async def _back_off(attempt: int) -> None:
    if attempt:
        await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * min(attempt, 8)))  # noqa: S311


def _state(doc: dict[str, Any] | None) -> ThrottleState | None:
    return ThrottleState(doc["failures"], doc["last_failure_at"]) if doc else None


class MongoThrottleRepository:
    """Failure counters shared by all instances; TTL removes idle ones.

    Every write is a compare-and-set on the value just read (an insert for a new key, a
    conditional replace otherwise), retried when another instance won the race. Not
    `$inc`/`$set`: the embedded server stores dates written by update operators as
    strings and has no update pipelines.
    """

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def _throttles(self) -> Any:
        return (await self._connection.database())[THROTTLES]

    @store_call
    async def get(self, key: str) -> ThrottleState | None:
        return _state(await (await self._throttles()).find_one({"_id": key}))

    @store_call
    async def record_failure(self, key: str, now: datetime, window: timedelta) -> ThrottleState:
        collection = await self._throttles()
        for attempt in range(MAX_RACE_RETRIES):
            await _back_off(attempt)
            doc = await collection.find_one({"_id": key})
            state = await self._count(collection, key, doc, now, window)
            if state is not None:
                return state
        raise StoreUnavailableError(message="The failure counter is too contended; try again.")

    @store_call
    async def reserve_attempt(self, key: str, now: datetime, policy: ThrottlePolicy) -> int:
        collection = await self._throttles()
        for attempt in range(MAX_RACE_RETRIES):
            await _back_off(attempt)
            doc = await collection.find_one({"_id": key})
            wait = policy.retry_after(_state(doc), now)
            if wait:
                return wait
            if await self._count(collection, key, doc, now, policy.window) is not None:
                return 0
        raise StoreUnavailableError(message="The failure counter is too contended; try again.")

    @store_call
    async def clear(self, key: str) -> None:
        await (await self._throttles()).delete_one({"_id": key})

    @staticmethod
    async def _count(
        collection: Any, key: str, doc: dict[str, Any] | None, now: datetime, window: timedelta
    ) -> ThrottleState | None:
        """Write `doc`'s successor; None when a concurrent writer changed it first."""
        fresh = doc is None or now - doc["last_failure_at"] >= window
        state = ThrottleState(1 if fresh else doc["failures"] + 1, now)  # type: ignore[index]
        new = {"failures": state.failures, "last_failure_at": now, "expire_at": now + window}
        if doc is None:
            try:
                await collection.insert_one({"_id": key, **new})
            except DuplicateKeyError:
                return None
            return state
        previous = {"failures": doc["failures"], "last_failure_at": doc["last_failure_at"]}
        result = await collection.replace_one({"_id": key, **previous}, new)
        return state if result.modified_count == 1 else None
