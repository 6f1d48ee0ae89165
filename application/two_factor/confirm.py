from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.context import NO_CLIENT, ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.two_factor.codes import hash_backup_code
from application.two_factor.throttling import TwoFactorThrottle
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.errors import FieldError, InvalidInputError, TwoFactorStateError
from domain.two_factor import BACKUP_CODE_COUNT, TotpFactor
from domain.users import User


@dataclass(frozen=True, slots=True)
class ConfirmTwoFactorCommand:
    actor: User
    code: str
    client: ClientInfo = NO_CLIENT


class ConfirmTwoFactor:
    """Turn two-factor on with a first code from the app; answer the backup codes.

    Rules: only a pending factor is confirmed; the code must match it (proof the app
    holds the secret), with wrong codes throttled like every second-factor guess; the
    backup codes are shown this once and stored hashed.
    """

    def __init__(
        self,
        users: UserRepository,
        otp: OneTimePasswords,
        throttle: TwoFactorThrottle,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._throttle = throttle
        self._users = users
        self._otp = otp
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: ConfirmTwoFactorCommand) -> list[str]:
        now = self._clock.now()
        await self._throttle.reserve(command.actor.id, now)
        codes = self._otp.new_backup_codes(BACKUP_CODE_COUNT)
        hashes = tuple(hash_backup_code(code) for code in codes)

        def confirmed(latest: User) -> User:
            factor = latest.totp
            if factor is None or factor.confirmed:
                raise TwoFactorStateError("Start enrolling first (no pending authenticator).")
            step = self._otp.matching_step(factor.secret, "".join(command.code.split()), now)
            if step is None:
                raise InvalidInputError(
                    [FieldError("code", "The code is incorrect; enter the current one.")]
                )
            return latest.changed(now, totp=TotpFactor(factor.secret, True, step, hashes))

        user = await update_latest(self._users, command.actor, confirmed)
        await self._throttle.clear(user.id)
        await self._auditor.record(
            AuditEventType.TWO_FACTOR_ENABLED, user.id, command.client, actor_id=user.id
        )
        return codes
