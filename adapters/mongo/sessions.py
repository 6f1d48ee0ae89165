from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.mongo.connection import SESSIONS, MongoConnection
from adapters.mongo.errors import store_call
from domain.auth import RefreshSession

FIELDS = (
    "family_id",
    "user_id",
    "created_at",
    "expires_at",
    "family_expires_at",
    "spent_at",
    "revoked",
)


class MongoRefreshSessionRepository:
    """Sessions keyed by the token's SHA-256; spending is one conditional update, so of
    two concurrent refreshes exactly one matches the `spent_at: null` filter."""

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def _sessions(self) -> Any:
        return (await self._connection.database())[SESSIONS]

    @store_call
    async def add(self, session: RefreshSession) -> None:
        document = {"_id": session.token_hash, **{name: getattr(session, name) for name in FIELDS}}
        await (await self._sessions()).insert_one(document)

    @store_call
    async def get(self, token_hash: str) -> RefreshSession | None:
        doc = await (await self._sessions()).find_one({"_id": token_hash})
        if doc is None:
            return None
        return RefreshSession(token_hash=doc["_id"], **{name: doc[name] for name in FIELDS})

    @store_call
    async def spend(self, token_hash: str, now: datetime) -> bool:
        # A conditional replace, not `$set`: the embedded server stores dates written by
        # update operators as strings. The filter still makes it a compare-and-set.
        sessions = await self._sessions()
        doc = await sessions.find_one({"_id": token_hash})
        if doc is None:
            return False
        result = await sessions.replace_one(
            {"_id": token_hash, "spent_at": None, "revoked": False, "expires_at": {"$gt": now}},
            {**{name: doc[name] for name in FIELDS}, "spent_at": now},
        )
        return bool(result.modified_count == 1)

    @store_call
    async def revoke_family(self, family_id: str) -> None:
        await (await self._sessions()).update_many(
            {"family_id": family_id}, {"$set": {"revoked": True}}
        )

    @store_call
    async def revoke_user(self, user_id: str) -> None:
        await (await self._sessions()).update_many(
            {"user_id": user_id}, {"$set": {"revoked": True}}
        )
