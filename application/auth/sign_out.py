from __future__ import annotations

from dataclasses import dataclass

from application.auth.sessions import hash_refresh_token
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.sessions.ending import SessionEnding


@dataclass(frozen=True, slots=True)
class SignOutCommand:
    refresh_token: str


class SignOut:
    """End the session of a refresh token: its refresh tokens and, at once, its access
    tokens. Idempotent: unknown tokens succeed too."""

    def __init__(self, sessions: RefreshSessionRepository, ending: SessionEnding) -> None:
        self._sessions = sessions
        self._ending = ending

    async def execute(self, command: SignOutCommand) -> None:
        session = await self._sessions.get(hash_refresh_token(command.refresh_token))
        if session is not None:
            await self._ending.end_family(session.user_id, session.family_id)
