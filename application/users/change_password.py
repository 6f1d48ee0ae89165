from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.auth import PasswordPolicy
from domain.errors import FieldError, InvalidCredentialsError, InvalidInputError
from domain.users import User


@dataclass(frozen=True, slots=True)
class ChangePasswordCommand:
    actor: User
    current_password: str
    new_password: str
    client: ClientInfo = NO_CLIENT


def with_new_password(user: User, new_hash: str, now: datetime, **changes: object) -> User:
    """The user with a new password hash and a new token version: every access token
    issued before stops working."""
    return user.changed(
        now, password_hash=new_hash, token_version=user.token_version + 1, **changes
    )


class ChangePassword:
    """A signed-in user replaces their password.

    Rules: the current password must verify; the new one passes the policy and differs
    from the current one; afterwards every refresh family of the user is revoked and
    the token version rises, so access tokens issued before are rejected.
    """

    def __init__(
        self,
        users: UserRepository,
        sessions: RefreshSessionRepository,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        blocklist: PasswordBlocklist,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._auditor = auditor
        self._users = users
        self._sessions = sessions
        self._hasher = hasher
        self._policy = policy
        self._blocklist = blocklist
        self._clock = clock

    async def execute(self, command: ChangePasswordCommand) -> None:
        user = command.actor
        now = self._clock.now
        if not await self._hasher.verify(user.password_hash, command.current_password):
            raise InvalidCredentialsError("The current password is incorrect.")
        self._policy.check(
            command.new_password,
            email=user.email.value,
            name=user.name,
            blocklist=self._blocklist,
            field="new_password",
        )
        if command.new_password == command.current_password:
            raise InvalidInputError(
                [FieldError("new_password", "Choose a password different from the current one.")]
            )
        new_hash = await self._hasher.hash(command.new_password)
        await update_latest(self._users, user, lambda u: with_new_password(u, new_hash, now()))
        await self._sessions.revoke_user(user.id)
        await self._auditor.record(
            AuditEventType.PASSWORD_CHANGED, user.id, command.client, actor_id=user.id
        )
