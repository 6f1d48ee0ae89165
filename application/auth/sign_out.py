from __future__ import annotations

from dataclasses import dataclass

from application.auth.sessions import hash_refresh_token
from application.ports.refresh_session_repository import RefreshSessionRepository


@dataclass(frozen=True, slots=True)
class SignOutCommand:
    refresh_token: str


class SignOut:
    """End the session family of a refresh token. Idempotent: unknown tokens succeed too."""

    def __init__(self, sessions: RefreshSessionRepository) -> None:
        self._sessions = sessions

    async def execute(self, command: SignOutCommand) -> None:
        session = await self._sessions.get(hash_refresh_token(command.refresh_token))
        if session is not None:
            await self._sessions.revoke_family(session.family_id)
