from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.secret_checks import SecretChecks
from application.context import NO_CLIENT, ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.two_factor.codes import hash_backup_code
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
    holds the secret), with wrong codes throttled and audited like every check of a
    secret; the backup codes are shown this once and stored hashed.
    """

    def __init__(
        self,
        users: UserRepository,
        otp: OneTimePasswords,
        checks: SecretChecks,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._checks = checks
        self._users = users
        self._otp = otp
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: ConfirmTwoFactorCommand) -> list[str]:
        now, client = self._clock.now(), command.client
        await self._checks.begin(command.actor.id, client, now)
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

        try:
            user = await update_latest(self._users, command.actor, confirmed)
        except InvalidInputError:
            await self._checks.failed(command.actor.id, client, now, operation="confirm_two_factor")
            raise
        await self._checks.succeeded(user.id)
        await self._auditor.record(
            AuditEventType.TWO_FACTOR_ENABLED, user.id, command.client, actor_id=user.id
        )
        return codes
