from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from adapters.mongo.connection import THROTTLES, MongoConnection
from adapters.mongo.errors import store_call
from domain.auth import ThrottleState
from domain.errors import StoreUnavailableError

MAX_RACE_RETRIES = 8


class MongoThrottleRepository:
    """Failure counters shared by all instances; TTL removes idle ones.

    The increment is a compare-and-set on the previous value rather than an update
    pipeline (which the embedded server lacks), retried when another instance wins.
    """

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def _throttles(self) -> Any:
        return (await self._connection.database())[THROTTLES]

    @store_call
    async def get(self, key: str) -> ThrottleState | None:
        doc = await (await self._throttles()).find_one({"_id": key})
        return ThrottleState(doc["failures"], doc["last_failure_at"]) if doc else None

    @store_call
    async def record_failure(self, key: str, now: datetime, window: timedelta) -> ThrottleState:
        collection = await self._throttles()
        for _ in range(MAX_RACE_RETRIES):
            doc = await collection.find_one({"_id": key})
            if doc is None:
                state = ThrottleState(1, now)
                try:
                    await collection.insert_one(
                        {
                            "_id": key,
                            "failures": 1,
                            "last_failure_at": now,
                            "expire_at": now + window,
                        }
                    )
                except DuplicateKeyError:
                    continue
                return state
            fresh = now - doc["last_failure_at"] >= window
            state = ThrottleState(1 if fresh else doc["failures"] + 1, now)
            # A conditional replace, not `$set`/`$inc`: the embedded server stores dates
            # written by update operators as strings (and has no update pipelines).
            previous = {"failures": doc["failures"], "last_failure_at": doc["last_failure_at"]}
            result = await collection.replace_one(
                {"_id": key, **previous},
                {"failures": state.failures, "last_failure_at": now, "expire_at": now + window},
            )
            if result.modified_count == 1:
                return state
        raise StoreUnavailableError(message="The failure counter is too contended; try again.")

    @store_call
    async def clear(self, key: str) -> None:
        await (await self._throttles()).delete_one({"_id": key})
