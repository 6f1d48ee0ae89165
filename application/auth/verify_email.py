from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.email_links import LinkMailer, check_link_request
from application.auth.one_time_tokens import OneTimeTokens
from application.context import NO_CLIENT, ClientInfo
from application.pacing import at_least
from application.ports.pseudonyms import Pseudonyms
from application.ports.system import Clock
from application.ports.throttle_repository import ThrottleRepository
from application.ports.user_repository import UserRepository
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.errors import InvalidTokenError
from domain.one_time_tokens import TokenPurpose
from domain.users import User, email_key


@dataclass(frozen=True, slots=True)
class VerifyEmailCommand:
    token: str
    client: ClientInfo = NO_CLIENT


class VerifyEmail:
    """Mark an address verified with the emailed token.

    Rules: the token is single-use and expires; it verifies the address it was sent to,
    so a token sent before an email change is worthless. Verifying twice is harmless.
    """

    def __init__(
        self, users: UserRepository, tokens: OneTimeTokens, clock: Clock, auditor: Auditor
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: VerifyEmailCommand) -> None:
        now = self._clock.now()
        token = await self._tokens.redeem(command.token, TokenPurpose.VERIFY_EMAIL, now)
        user = await self._users.get(token.user_id) if token else None
        if token is None or user is None or user.email.value != token.binding:
            raise InvalidTokenError
        if user.email_verified:
            return

        def verified(latest: User) -> User:
            if latest.email.value != token.binding:
                raise InvalidTokenError
            return latest.changed(now, email_verified=True)

        await update_latest(self._users, user, verified)
        await self._auditor.record(
            AuditEventType.EMAIL_VERIFIED, user.id, command.client, actor_id=user.id
        )


@dataclass(frozen=True, slots=True)
class ResendVerificationCommand:
    email: str
    client: ClientInfo = NO_CLIENT


class ResendVerification:
    """Email a new verification link. The answer is the same, in content and time,
    whether the address has an account, is verified already, or is unknown."""

    def __init__(
        self,
        users: UserRepository,
        mailer: LinkMailer,
        throttles: ThrottleRepository,
        pseudonyms: Pseudonyms,
        clock: Clock,
    ) -> None:
        self._users = users
        self._mailer = mailer
        self._throttles = throttles
        self._pseudonyms = pseudonyms
        self._clock = clock

    async def execute(self, command: ResendVerificationCommand) -> None:
        now = self._clock.now()
        policy = self._mailer.policy
        await check_link_request(
            self._throttles, self._pseudonyms, policy, "verify", command.email, command.client, now
        )
        async with at_least(policy.min_response):
            key = email_key(command.email)  # None: no account can have it
            user = await self._users.get_by_email(key) if key else None
            if user is not None and not user.email_verified:
                await self._mailer.send_verification(user, now)
