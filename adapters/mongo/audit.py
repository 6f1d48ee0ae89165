from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING

from adapters.mongo.connection import AUDIT, MongoConnection
from adapters.mongo.errors import store_call
from domain.audit import AuditEvent, AuditEventType


def to_document(event: AuditEvent, retention: timedelta) -> dict[str, Any]:
    return {
        "_id": event.id,
        # The id again, for the (at, event_id) indexes: nx-27017 cannot index `_id` in a
        # compound index (inserts fail with "JSON path error near '_id'").
        "event_id": event.id,
        "type": event.type.value,
        "at": event.at,
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "ip": event.ip,
        "request_id": event.request_id,
        "user_agent": event.user_agent,
        "details": dict(event.details),
        "expire_at": event.at + retention,
    }


def from_document(doc: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=doc["_id"],
        type=AuditEventType(doc["type"]),
        at=doc["at"],
        user_id=doc["user_id"],
        actor_id=doc["actor_id"],
        ip=doc["ip"],
        request_id=doc["request_id"],
        user_agent=doc.get("user_agent", ""),
        details=dict(doc.get("details") or {}),
    )


class MongoAuditLog:
    """The trail, insert-only. Each event stores its own `expire_at` (at + retention) and
    a TTL index with `expireAfterSeconds=0` removes it then, so changing the retention
    needs no index change (it applies to events recorded afterwards).

    Pages are ordered by (at, event_id) descending and resume strictly before a cursor,
    so events sharing one `at` are neither repeated nor skipped.
    """

    def __init__(self, connection: MongoConnection, retention: timedelta) -> None:
        if retention <= timedelta(0):
            raise ValueError("audit retention must be positive")
        self._connection = connection
        self._retention = retention

    async def _events(self) -> Any:
        return (await self._connection.database())[AUDIT]

    @store_call
    async def record(self, event: AuditEvent) -> None:
        await (await self._events()).insert_one(to_document(event, self._retention))

    @store_call
    async def list_page(
        self, user_id: str | None, limit: int, before: tuple[str, str] | None
    ) -> list[AuditEvent]:
        if limit <= 0:  # Mongo reads a limit of 0 as "no limit"
            return []
        query: dict[str, Any] = {}
        if user_id is not None:
            query["user_id"] = user_id
        if before is not None:
            at, event_id = datetime.fromisoformat(before[0]), before[1]
            query["$or"] = [
                {"at": {"$lt": at}},
                {"at": at, "event_id": {"$lt": event_id}},
            ]
        cursor = (
            (await self._events())
            .find(query)
            .sort([("at", DESCENDING), ("event_id", DESCENDING)])
            .limit(limit)
        )
        return [from_document(doc) for doc in await cursor.to_list(length=limit)]
