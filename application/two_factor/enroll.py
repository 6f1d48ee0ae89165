from __future__ import annotations

from dataclasses import dataclass

from application.context import NO_CLIENT, ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.two_factor.throttling import TwoFactorThrottle
from application.users.writes import update_latest
from domain.errors import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    TwoFactorStateError,
)
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
    attacker's authenticator), with wrong passwords throttled per account like the other
    two-factor steps (the token holder must not get a password oracle); an enabled
    factor must be disabled first; starting again while pending replaces the secret.
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        otp: OneTimePasswords,
        throttle: TwoFactorThrottle,
        clock: Clock,
        issuer: str,
    ) -> None:
        self._throttle = throttle
        self._users = users
        self._hasher = hasher
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
        await self._throttle.reserve(user.id, self._clock.now())
        if not await self._hasher.verify(user.password_hash, command.password):
            raise InvalidCredentialsError("The password is incorrect.")
        await self._throttle.clear(user.id)
        secret = self._otp.new_secret()

        def pending(latest: User) -> User:
            if latest.two_factor_enabled:
                raise TwoFactorStateError("Two-factor authentication is on already.")
            return latest.changed(self._clock.now(), totp=TotpFactor(secret))

        await update_latest(self._users, user, pending)
        uri = self._otp.provisioning_uri(secret, user.email.value, self._issuer)
        return TotpEnrollment(secret, uri)
