from __future__ import annotations

from dataclasses import dataclass

from application.pagination import check_limit, decode_cursor, encode_cursor
from application.ports.audit_log import AuditLog
from application.users.access import require_admin
from domain.audit import AuditEvent
from domain.users import User


@dataclass(frozen=True, slots=True)
class ListAuditEventsQuery:
    """`user_id` None means every user's events (admins only)."""

    actor: User
    user_id: str | None
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


class ListAuditEvents:
    """Read the trail newest first: your own events, or anyone's if you are an admin."""

    def __init__(self, trail: AuditLog) -> None:
        self._trail = trail

    async def execute(self, query: ListAuditEventsQuery) -> AuditPage:
        if query.user_id != query.actor.id:
            require_admin(query.actor)
        check_limit(query.limit)
        before = decode_cursor(query.cursor) if query.cursor else None
        rows = await self._trail.list_page(query.user_id, query.limit + 1, before)
        items = rows[: query.limit]
        last = items[-1] if len(rows) > query.limit and items else None
        return AuditPage(items, encode_cursor(last.at, last.id) if last else None)
