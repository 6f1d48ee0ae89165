from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from domain.audit import AuditEventType
from domain.users import User


@dataclass(frozen=True, slots=True)
class RevokeOtherSessionsCommand:
    actor: User
    current_session_id: str
    client: ClientInfo = NO_CLIENT


class RevokeOtherSessions:
    """Sign out everywhere else: every session of the actor but the current one."""

    def __init__(self, sessions: RefreshSessionRepository, auditor: Auditor) -> None:
        self._sessions = sessions
        self._auditor = auditor

    async def execute(self, command: RevokeOtherSessionsCommand) -> None:
        user = command.actor
        await self._sessions.revoke_user(user.id, keep_family=command.current_session_id)
        await self._auditor.record(
            AuditEventType.OTHER_SESSIONS_REVOKED, user.id, command.client, actor_id=user.id
        )
