from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.secret_checks import Proof, SecretChecks
from application.context import NO_CLIENT, ClientInfo
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.sessions.ending import SessionEnding
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.errors import TwoFactorStateError
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
    attempts are throttled and audited like every check of a secret. Turning the factor
    off is a credential change: every session and access token of the user ends, so
    none outlives the factor it was signed in with (the user signs in again).
    Abandoning a pending enrollment changes no credential and ends nothing.
    """

    def __init__(
        self,
        users: UserRepository,
        checks: SecretChecks,
        ending: SessionEnding,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._users = users
        self._checks = checks
        self._ending = ending
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: DisableTwoFactorCommand) -> None:
        user = command.actor
        if user.totp is None:
            raise TwoFactorStateError("Two-factor authentication is off.")
        proof = Proof(command.password, command.code, password_field="password")
        code = await self._checks.reauthenticate(user, proof, command.client, "disable_two_factor")
        was_enabled = user.two_factor_enabled

        def disabled(latest: User) -> User:
            if latest.totp is None:
                raise TwoFactorStateError("Two-factor authentication is off.")
            if code is not None:
                code.applied_to(latest.totp)  # refuses a code used meanwhile
            now = self._clock.now()
            if latest.two_factor_enabled:
                return latest.with_new_credentials(now, totp=None)
            return latest.changed(now, totp=None)

        updated = await update_latest(self._users, user, disabled)
        if updated.token_version != user.token_version:
            await self._ending.end_all(user.id)
        if was_enabled:
            await self._auditor.record(
                AuditEventType.TWO_FACTOR_DISABLED, user.id, command.client, actor_id=user.id
            )
