from __future__ import annotations

from dataclasses import dataclass

from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock
from domain.auth import RefreshSession
from domain.users import User


@dataclass(frozen=True, slots=True)
class ListSessionsQuery:
    actor: User


class ListSessions:
    """The actor's live sessions, most recently used first (one per signed-in device).
    A session issued under credentials the user has since changed is dead: not listed."""

    def __init__(self, sessions: RefreshSessionRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def execute(self, query: ListSessionsQuery) -> list[RefreshSession]:
        user = query.actor
        live = await self._sessions.list_live(user.id, self._clock.now())
        return [s for s in live if s.is_current_for(user.token_version)]
