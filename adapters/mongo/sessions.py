from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING

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
    "family_created_at",
    "device",
    "ip",
    "token_version",
)

# Sessions written by older versions lack some fields. One without a token version
# reads as 0, which no user has: it ends at the upgrade (its user signs in again).
DEFAULTS: dict[str, Any] = {"family_created_at": None, "device": "", "ip": "", "token_version": 0}


def _fields(doc: dict[str, Any]) -> dict[str, Any]:
    fields = {name: doc[name] if name in doc else DEFAULTS[name] for name in FIELDS}
    # nx-27017 stores a boolean written by `$set` as the integer 1 (queries still match).
    fields["revoked"] = bool(fields["revoked"])
    return fields


def _session(doc: dict[str, Any]) -> RefreshSession:
    return RefreshSession(token_hash=doc["_id"], **_fields(doc))


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
        return None if doc is None else _session(doc)

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
            {**_fields(doc), "spent_at": now},
        )
        return bool(result.modified_count == 1)

    @store_call
    async def revoke_family(self, family_id: str) -> None:
        await (await self._sessions()).update_many(
            {"family_id": family_id}, {"$set": {"revoked": True}}
        )

    @store_call
    async def revoke_user(self, user_id: str, keep_family: str | None = None) -> None:
        query: dict[str, Any] = {"user_id": user_id}
        if keep_family is not None:
            query["family_id"] = {"$ne": keep_family}
        await (await self._sessions()).update_many(query, {"$set": {"revoked": True}})

    @store_call
    async def revoke_user_family(self, user_id: str, family_id: str) -> bool:
        # Matching on `user_id` too: a user cannot revoke another user's family by its id.
        result = await (await self._sessions()).update_many(
            {"user_id": user_id, "family_id": family_id, "revoked": False},
            {"$set": {"revoked": True}},
        )
        return bool(result.modified_count > 0)

    @store_call
    async def list_live(self, user_id: str, now: datetime) -> list[RefreshSession]:
        cursor = (
            (await self._sessions())
            .find(
                {
                    "user_id": user_id,
                    "revoked": False,
                    "spent_at": None,
                    "expires_at": {"$gt": now},
                }
            )
            .sort([("created_at", DESCENDING), ("family_id", DESCENDING)])
        )
        return [_session(doc) for doc in await cursor.to_list(length=None)]
