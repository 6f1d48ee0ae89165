from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.sessions.ending import SessionEnding
from domain.audit import AuditEventType
from domain.errors import SessionNotFoundError
from domain.users import User


@dataclass(frozen=True, slots=True)
class RevokeSessionCommand:
    actor: User
    session_id: str
    client: ClientInfo = NO_CLIENT


class RevokeSession:
    """Sign one of your devices out: its refresh and access tokens stop working at once.
    Someone else's session id is 'not found', like an unknown one."""

    def __init__(
        self, sessions: RefreshSessionRepository, ending: SessionEnding, auditor: Auditor
    ) -> None:
        self._sessions = sessions
        self._ending = ending
        self._auditor = auditor

    async def execute(self, command: RevokeSessionCommand) -> None:
        user = command.actor
        if not await self._sessions.revoke_user_family(user.id, command.session_id):
            raise SessionNotFoundError
        await self._ending.refuse_access_tokens(user.id, [command.session_id])
        await self._auditor.record(
            AuditEventType.SESSION_REVOKED,
            user.id,
            command.client,
            actor_id=user.id,
            session_id=command.session_id,
        )
