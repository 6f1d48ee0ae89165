from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.user_repository import UserRepository
from application.users.access import ensure_not_last_admin, load_visible, undo_if_no_admin_left
from domain.audit import AuditEventType
from domain.errors import UserNotFoundError
from domain.users import User


@dataclass(frozen=True, slots=True)
class DeleteUserCommand:
    actor: User
    user_id: str
    client: ClientInfo = NO_CLIENT


class DeleteUser:
    """Delete an account: self or admin; never the last admin.

    The user row goes first: every token check loads the user, so even if revoking the
    refresh families then fails, no token of the deleted user works any more.
    """

    def __init__(
        self, users: UserRepository, sessions: RefreshSessionRepository, auditor: Auditor
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._auditor = auditor

    async def execute(self, command: DeleteUserCommand) -> None:
        target = await load_visible(self._users, command.actor, command.user_id)
        await ensure_not_last_admin(self._users, target)
        if not await self._users.delete(target.id):
            raise UserNotFoundError
        if target.is_admin:
            await undo_if_no_admin_left(self._users, lambda: self._users.add(target))
        await self._sessions.revoke_user(target.id)
        await self._auditor.record(
            AuditEventType.USER_DELETED, target.id, command.client, actor_id=command.actor.id
        )
