from __future__ import annotations

from datetime import datetime, timedelta

from domain.audit import AuditEvent


class InMemoryAuditLog:
    """The trail in a list; events older than `retention` are dropped, as Mongo's TTL would."""

    def __init__(self, retention: timedelta = timedelta(days=365)) -> None:
        self._events: list[AuditEvent] = []
        self._retention = retention

    async def record(self, event: AuditEvent) -> None:
        self._prune(event.at)
        self._events.append(event)

    async def list_page(
        self, user_id: str | None, limit: int, before: tuple[str, str] | None
    ) -> list[AuditEvent]:
        events = [e for e in self._events if user_id is None or e.user_id == user_id]
        events.sort(key=lambda e: (e.at, e.id), reverse=True)
        if before is not None:
            cutoff = (datetime.fromisoformat(before[0]), before[1])
            events = [e for e in events if (e.at, e.id) < cutoff]
        return events[:limit]

    def _prune(self, now: datetime) -> None:
        self._events = [e for e in self._events if e.at + self._retention > now]
