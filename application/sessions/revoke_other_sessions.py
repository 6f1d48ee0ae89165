from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock
from application.sessions.ending import SessionEnding
from domain.audit import AuditEventType
from domain.users import User


@dataclass(frozen=True, slots=True)
class RevokeOtherSessionsCommand:
    actor: User
    current_session_id: str
    client: ClientInfo = NO_CLIENT


class RevokeOtherSessions:
    """Sign out everywhere else: every session of the actor but the current one, their
    access tokens included."""

    def __init__(
        self,
        sessions: RefreshSessionRepository,
        ending: SessionEnding,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._sessions = sessions
        self._ending = ending
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: RevokeOtherSessionsCommand) -> None:
        user, current = command.actor, command.current_session_id
        # Listed first: a family is live until revoked, and every family that may hold
        # an unexpired access token is live (family ids survive refreshes).
        live = await self._sessions.list_live(user.id, self._clock.now())
        await self._sessions.revoke_user(user.id, keep_family=current)
        others = {s.family_id for s in live} - {current}
        await self._ending.refuse_access_tokens(user.id, sorted(others))
        await self._auditor.record(
            AuditEventType.OTHER_SESSIONS_REVOKED, user.id, command.client, actor_id=user.id
        )
