from __future__ import annotations

from dataclasses import dataclass

from application.auth.secret_checks import Proof, SecretChecks
from application.context import NO_CLIENT, ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.users.writes import update_latest
from domain.errors import EmailNotVerifiedError, TwoFactorStateError
from domain.two_factor import TotpFactor
from domain.users import User


@dataclass(frozen=True, slots=True)
class EnrollTwoFactorCommand:
    actor: User
    password: str
    client: ClientInfo = NO_CLIENT


@dataclass(frozen=True, slots=True)
class TotpEnrollment:
    secret: str
    provisioning_uri: str


class EnrollTwoFactor:
    """Start turning on two-factor: a new secret, pending until confirmed by a code.

    Rules: the password is asked again (a stolen access token alone cannot attach an
    attacker's authenticator), throttled and audited like every check of a secret (the
    token holder must not get a password oracle); an enabled factor must be disabled
    first; starting again while pending replaces the secret.
    """

    def __init__(
        self,
        users: UserRepository,
        checks: SecretChecks,
        otp: OneTimePasswords,
        clock: Clock,
        issuer: str,
    ) -> None:
        self._checks = checks
        self._users = users
        self._otp = otp
        self._clock = clock
        self._issuer = issuer

    async def execute(self, command: EnrollTwoFactorCommand) -> TotpEnrollment:
        user = command.actor
        if not user.email_verified:
            # Else whoever signs up first with someone's address could attach their own
            # authenticator, and the owner's password reset would not get them back in.
            raise EmailNotVerifiedError("Verify your email address before turning on two-factor.")
        if user.two_factor_enabled:
            raise TwoFactorStateError("Two-factor authentication is on already.")
        proof = Proof(command.password, password_field="password")
        await self._checks.reauthenticate(user, proof, command.client, "enroll_two_factor")
        secret = self._otp.new_secret()

        def pending(latest: User) -> User:
            if latest.two_factor_enabled:
                raise TwoFactorStateError("Two-factor authentication is on already.")
            return latest.changed(self._clock.now(), totp=TotpFactor(secret))

        await update_latest(self._users, user, pending)
        uri = self._otp.provisioning_uri(secret, user.email.value, self._issuer)
        return TotpEnrollment(secret, uri)
