from __future__ import annotations

from adapters.mongo.connection import MongoConnection


class MongoStoreProbe:
    """Readiness: a `ping` bounded by the client's timeouts."""

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def ping(self) -> None:
        await self._connection.ping()
