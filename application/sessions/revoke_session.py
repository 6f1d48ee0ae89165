from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from domain.audit import AuditEventType
from domain.errors import SessionNotFoundError
from domain.users import User


@dataclass(frozen=True, slots=True)
class RevokeSessionCommand:
    actor: User
    session_id: str
    client: ClientInfo = NO_CLIENT


class RevokeSession:
    """Sign one of your devices out: its refresh token stops working at once; an access
    token it already holds lives out its short lifetime (ACCESS_TOKEN_TTL_SECONDS).
    Someone else's session id is 'not found', like an unknown one."""

    def __init__(self, sessions: RefreshSessionRepository, auditor: Auditor) -> None:
        self._sessions = sessions
        self._auditor = auditor

    async def execute(self, command: RevokeSessionCommand) -> None:
        user = command.actor
        if not await self._sessions.revoke_user_family(user.id, command.session_id):
            raise SessionNotFoundError
        await self._auditor.record(
            AuditEventType.SESSION_REVOKED,
            user.id,
            command.client,
            actor_id=user.id,
            session_id=command.session_id,
        )
