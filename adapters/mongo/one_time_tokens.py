from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.mongo.connection import ONE_TIME_TOKENS, MongoConnection
from adapters.mongo.errors import store_call
from domain.one_time_tokens import OneTimeToken, TokenPurpose


def to_document(token: OneTimeToken) -> dict[str, Any]:
    return {
        "_id": token.token_hash,
        "purpose": token.purpose.value,
        "user_id": token.user_id,
        "binding": token.binding,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "used_at": token.used_at,
    }


def from_document(doc: dict[str, Any]) -> OneTimeToken:
    return OneTimeToken(
        token_hash=doc["_id"],
        purpose=TokenPurpose(doc["purpose"]),
        user_id=doc["user_id"],
        binding=doc["binding"],
        created_at=doc["created_at"],
        expires_at=doc["expires_at"],
        used_at=doc["used_at"],
    )


class MongoOneTimeTokenRepository:
    """Tokens keyed by their SHA-256; a TTL index on `expires_at` removes expired ones.

    Consuming is a compare-and-set: a conditional replace whose filter only matches an
    unused, unexpired token, so of concurrent callers exactly one modifies it. Not
    `$set`: the embedded server stores dates written by update operators as strings.
    """

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def _tokens(self) -> Any:
        return (await self._connection.database())[ONE_TIME_TOKENS]

    @store_call
    async def add(self, token: OneTimeToken) -> None:
        await (await self._tokens()).insert_one(to_document(token))

    @store_call
    async def get(self, token_hash: str, purpose: TokenPurpose) -> OneTimeToken | None:
        doc = await (await self._tokens()).find_one({"_id": token_hash, "purpose": purpose.value})
        return None if doc is None else from_document(doc)

    @store_call
    async def consume(
        self, token_hash: str, purpose: TokenPurpose, now: datetime
    ) -> OneTimeToken | None:
        tokens = await self._tokens()
        doc = await tokens.find_one({"_id": token_hash, "purpose": purpose.value})
        if doc is None:
            return None
        token = from_document(doc)
        if not token.is_usable(now):
            return None
        replacement = to_document(token)
        del replacement["_id"]
        result = await tokens.replace_one(
            {
                "_id": token_hash,
                "purpose": purpose.value,
                "used_at": None,
                "expires_at": {"$gt": now},
            },
            {**replacement, "used_at": now},
        )
        return token if result.modified_count == 1 else None
