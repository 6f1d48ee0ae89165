from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.email_links import LinkMailer
from application.auth.sessions import SessionIssuer, TokenPair
from application.context import NO_CLIENT, ClientInfo
from application.ports.system import Clock
from application.ports.throttle_repository import ThrottleRepository
from application.users.create_user import NewUser, UserFactory
from domain.audit import AuditEventType
from domain.auth import ThrottlePolicy
from domain.errors import TooManyAttemptsError
from domain.users import Role, User


@dataclass(frozen=True, slots=True)
class SignUpCommand:
    email: str
    password: str
    name: str
    client: ClientInfo = NO_CLIENT


@dataclass(frozen=True, slots=True)
class SignUpResult:
    """`tokens` is None when sign-in waits for a verified email (REQUIRE_VERIFIED_EMAIL)."""

    user: User
    tokens: TokenPair | None


class SignUp:
    """Open registration.

    Rules: each client network may open a limited number of accounts per hour (every
    attempt counts, so a flood of sign-ups cannot occupy the password hasher); the
    password passes the policy; the email is unused (case-insensitively, enforced by the
    store's unique index, so concurrent sign-ups yield one account); the new user has
    role `user`, with an unverified email to which a verification link is sent; the
    response signs the user in (new session family), unless verified emails are
    required to sign in: then the user signs in after following the link.
    """

    def __init__(
        self,
        factory: UserFactory,
        sessions: SessionIssuer,
        mailer: LinkMailer,
        auditor: Auditor,
        throttles: ThrottleRepository,
        per_client: ThrottlePolicy,
        clock: Clock,
        require_verified_email: bool = False,
    ) -> None:
        self._require_verified_email = require_verified_email
        self._factory = factory
        self._sessions = sessions
        self._mailer = mailer
        self._auditor = auditor
        self._throttles = throttles
        self._per_client = per_client
        self._clock = clock

    async def execute(self, command: SignUpCommand) -> SignUpResult:
        key = f"signup-ip:{command.client.network}"
        wait = await self._throttles.reserve_attempt(key, self._clock.now(), self._per_client)
        if wait:
            raise TooManyAttemptsError(wait)
        user = await self._factory.create(
            NewUser(command.email, command.password, command.name, Role.USER)
        )
        tokens = None
        if not self._require_verified_email:
            tokens = await self._sessions.start(user, user.created_at, command.client)
        await self._mailer.send_verification(user, user.created_at)
        # Audit last: it never fails the request, so a store outage costs one timeout.
        await self._auditor.record(
            AuditEventType.SIGN_UP, user.id, command.client, actor_id=user.id
        )
        return SignUpResult(user, tokens)
