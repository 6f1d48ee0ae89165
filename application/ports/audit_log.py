from __future__ import annotations

from typing import Protocol

from domain.audit import AuditEvent


class AuditLog(Protocol):
    """Append-only: events are added and read, never changed; retention expires them."""

    async def record(self, event: AuditEvent) -> None: ...

    async def list_page(
        self, user_id: str | None, limit: int, before: tuple[str, str] | None
    ) -> list[AuditEvent]:
        """Up to `limit` events, newest first, of one user (or all when None), strictly
        before the (at ISO, id) cursor."""
