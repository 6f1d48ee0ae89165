from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.secret_checks import Proof, SecretChecks
from application.context import NO_CLIENT, ClientInfo
from application.ports.user_repository import UserRepository
from application.sessions.ending import SessionEnding
from application.users.access import ensure_not_last_admin, load_visible, undo_if_no_admin_left
from domain.audit import AuditEventType
from domain.errors import UserNotFoundError
from domain.users import User


@dataclass(frozen=True, slots=True)
class DeleteUserCommand:
    actor: User
    user_id: str
    client: ClientInfo = NO_CLIENT
    # Deleting your own account: your current password, and a code when two-factor is on.
    current_password: str | None = None
    code: str | None = None


class DeleteUser:
    """Delete an account: self or admin; never the last admin.

    Deleting your own account ends it for good, so it needs a fresh proof, like every
    takeover-relevant change: the current password and, with two-factor on, a code
    (throttled and audited; an access token alone is not enough). An admin deleting
    someone else needs no more than being a (verified) admin.

    The user row goes first: every token check loads the user, so even if revoking the
    refresh families then fails, no token of the deleted user works any more.
    """

    def __init__(
        self,
        users: UserRepository,
        ending: SessionEnding,
        checks: SecretChecks,
        auditor: Auditor,
    ) -> None:
        self._users = users
        self._ending = ending
        self._checks = checks
        self._auditor = auditor

    async def execute(self, command: DeleteUserCommand) -> None:
        actor = command.actor
        target = await load_visible(self._users, actor, command.user_id)
        if target.id == actor.id:
            proof = Proof(command.current_password, command.code)
            await self._checks.reauthenticate(target, proof, command.client, "delete_account")
        await ensure_not_last_admin(self._users, target)
        if not await self._users.delete(target.id):
            raise UserNotFoundError
        if target.is_admin:
            await undo_if_no_admin_left(self._users, lambda: self._users.add(target))
        await self._ending.end_all(target.id)
        await self._auditor.record(
            AuditEventType.USER_DELETED, target.id, command.client, actor_id=actor.id
        )
