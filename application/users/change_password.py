from __future__ import annotations

from dataclasses import dataclass

from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from domain.auth import PasswordPolicy
from domain.errors import (
    AuthenticationError,
    FieldError,
    InvalidCredentialsError,
    InvalidInputError,
    StaleVersionError,
)
from domain.users import User

MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ChangePasswordCommand:
    actor: User
    current_password: str
    new_password: str


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
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._hasher = hasher
        self._policy = policy
        self._blocklist = blocklist
        self._clock = clock

    async def execute(self, command: ChangePasswordCommand) -> None:
        user = command.actor
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
        await self._store(user, new_hash)
        await self._sessions.revoke_user(user.id)

    async def _store(self, user: User, new_hash: str) -> None:
        # A concurrent profile edit must not make the password change fail: re-read and retry.
        for _ in range(MAX_ATTEMPTS):
            changed = user.changed(
                self._clock.now(), password_hash=new_hash, token_version=user.token_version + 1
            )
            try:
                await self._users.update(changed, expected_version=user.version)
            except StaleVersionError:
                fresh = await self._users.get(user.id)
                if fresh is None:
                    raise AuthenticationError from None
                user = fresh
            else:
                return
        raise StaleVersionError
