from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.email_links import LinkMailer, check_link_request, reset_binding
from application.auth.one_time_tokens import OneTimeTokens
from application.auth.sign_in import account_throttle_key
from application.context import NO_CLIENT, ClientInfo
from application.pacing import at_least
from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.pseudonyms import Pseudonyms
from application.ports.system import Clock
from application.ports.throttle_repository import ThrottleRepository
from application.ports.user_repository import UserRepository
from application.sessions.ending import SessionEnding
from application.users.change_password import with_new_password
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.auth import PasswordPolicy
from domain.errors import InvalidTokenError
from domain.one_time_tokens import TokenPurpose
from domain.users import User, email_key


@dataclass(frozen=True, slots=True)
class RequestPasswordResetCommand:
    email: str
    client: ClientInfo = NO_CLIENT


class RequestPasswordReset:
    """Email a reset link if the address has an account.

    Rules: the answer is the same for every address, and takes the same time (padded
    to a floor above the work of the known-address path); requests are throttled per
    address and per client IP; the link is single-use and expires after an hour.
    """

    def __init__(
        self,
        users: UserRepository,
        mailer: LinkMailer,
        throttles: ThrottleRepository,
        pseudonyms: Pseudonyms,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._users = users
        self._mailer = mailer
        self._throttles = throttles
        self._pseudonyms = pseudonyms
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: RequestPasswordResetCommand) -> None:
        now = self._clock.now()
        policy = self._mailer.policy
        await check_link_request(
            self._throttles, self._pseudonyms, policy, "reset", command.email, command.client, now
        )
        async with at_least(policy.min_response):
            key = email_key(command.email)  # None: no account can have it
            user = await self._users.get_by_email(key) if key else None
            if user is not None:
                await self._mailer.send_reset(user, now)
                await self._auditor.record(
                    AuditEventType.PASSWORD_RESET_REQUESTED, user.id, command.client
                )


@dataclass(frozen=True, slots=True)
class ConfirmPasswordResetCommand:
    token: str
    new_password: str
    client: ClientInfo = NO_CLIENT


class ConfirmPasswordReset:
    """Set a new password with the emailed token.

    Rules: the token is single-use, expires, and dies with any password change made
    after it was sent; a new password breaking the policy leaves the token usable (the
    user fixes the password and submits again). Success ends every session and every
    access token of the user (including those of a sign-in racing it), marks the
    address verified (the link proved it), and lifts the account's sign-in throttle (an
    attacker's guesses must not lock the owner out after a reset).
    """

    def __init__(
        self,
        users: UserRepository,
        tokens: OneTimeTokens,
        ending: SessionEnding,
        throttles: ThrottleRepository,
        pseudonyms: Pseudonyms,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        blocklist: PasswordBlocklist,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._ending = ending
        self._throttles = throttles
        self._pseudonyms = pseudonyms
        self._hasher = hasher
        self._policy = policy
        self._blocklist = blocklist
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: ConfirmPasswordResetCommand) -> None:
        now = self._clock.now()
        purpose = TokenPurpose.RESET_PASSWORD
        token = await self._tokens.peek(command.token, purpose, now)
        user = await self._users.get(token.user_id) if token else None
        if token is None or user is None or reset_binding(user) != token.binding:
            raise InvalidTokenError
        self._policy.check(
            command.new_password,
            email=user.email.value,
            name=user.name,
            blocklist=self._blocklist,
            field="new_password",
        )
        new_hash = await self._hasher.hash(command.new_password)
        if await self._tokens.redeem(command.token, purpose, now) is None:
            raise InvalidTokenError  # a concurrent confirmation won

        def reset(latest: User) -> User:
            if reset_binding(latest) != token.binding:
                raise InvalidTokenError
            # Two-factor stays: a reset proves the mailbox, not the second factor (and
            # enrolling needs a verified address, so the factor is the owner's).
            return with_new_password(latest, new_hash, now, email_verified=True)

        await update_latest(self._users, user, reset)
        await self._ending.end_all(user.id)
        await self._throttles.clear(account_throttle_key(self._pseudonyms, user.email.value))
        await self._auditor.record(AuditEventType.PASSWORD_RESET, user.id, command.client)
