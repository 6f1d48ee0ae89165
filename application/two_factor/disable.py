from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.two_factor.codes import accept_code
from application.two_factor.throttling import TwoFactorThrottle
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.errors import InvalidCredentialsError, TwoFactorStateError
from domain.users import User


@dataclass(frozen=True, slots=True)
class DisableTwoFactorCommand:
    actor: User
    password: str
    code: str
    client: ClientInfo = NO_CLIENT


class DisableTwoFactor:
    """Turn two-factor off (or abandon a pending enrollment).

    Rules: both the password and a current code (or a backup code) are required, so
    neither a stolen access token nor a stolen password alone removes the factor;
    attempts are throttled per account like the sign-in code step.
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        otp: OneTimePasswords,
        throttle: TwoFactorThrottle,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._otp = otp
        self._throttle = throttle
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: DisableTwoFactorCommand) -> None:
        user, now = command.actor, self._clock.now()
        if user.totp is None:
            raise TwoFactorStateError("Two-factor authentication is off.")
        await self._throttle.reserve(user.id, now)
        if not await self._hasher.verify(user.password_hash, command.password):
            raise InvalidCredentialsError("The password or the code is incorrect.")

        def disabled(latest: User) -> User:
            if latest.totp is None:
                raise TwoFactorStateError("Two-factor authentication is off.")
            if latest.totp.confirmed:
                accept_code(self._otp, latest.totp, command.code, now)
            return latest.changed(now, totp=None)

        was_enabled = user.two_factor_enabled
        await update_latest(self._users, user, disabled)
        await self._throttle.clear(user.id)
        if was_enabled:
            await self._auditor.record(
                AuditEventType.TWO_FACTOR_DISABLED, user.id, command.client, actor_id=user.id
            )
