from __future__ import annotations

from dataclasses import dataclass, replace

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
    """Read the trail newest first: your own events, or anyone's if you are an admin.

    A user reading their own trail sees where an admin acted from only as "an admin
    acted": the admin's IP, user agent and request id are left out.
    """

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
        if not query.actor.is_admin:
            items = [_without_others_origin(e, query.actor.id) for e in items]
        return AuditPage(items, encode_cursor(last.at, last.id) if last else None)


def _without_others_origin(event: AuditEvent, reader_id: str) -> AuditEvent:
    if event.actor_id in (None, reader_id):
        return event
    return replace(event, ip="", user_agent="", request_id="")
