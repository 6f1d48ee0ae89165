from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from application.audit.auditor import Auditor
from application.auth.email_links import address_key
from application.auth.one_time_tokens import OneTimeTokens
from application.auth.sessions import SessionIssuer, TokenPair
from application.context import NO_CLIENT, ClientInfo
from application.ports.password_hasher import PasswordHasher
from application.ports.pseudonyms import Pseudonyms
from application.ports.system import Clock
from application.ports.throttle_repository import ThrottleRepository
from application.ports.user_repository import UserRepository
from domain.audit import AuditEventType
from domain.auth import ThrottlePolicy
from domain.errors import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    StaleVersionError,
    TooManyAttemptsError,
)
from domain.one_time_tokens import TokenPurpose
from domain.users import User, email_key

log = logging.getLogger("auth.sign_in")


def account_throttle_key(pseudonyms: Pseudonyms, email: str) -> str:
    """The sign-in counter of an address: keyed by its pseudonym, since whatever the
    client typed (maybe a password, in the email field) must not be stored readable."""
    return address_key(pseudonyms, "acct", email)


@dataclass(frozen=True, slots=True)
class SignInCommand:
    email: str
    password: str
    client: ClientInfo = NO_CLIENT


@dataclass(frozen=True, slots=True)
class SignInThrottling:
    per_account: ThrottlePolicy
    per_ip: ThrottlePolicy


@dataclass(frozen=True, slots=True)
class SignInRules:
    require_verified_email: bool = False
    challenge_ttl: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class TwoFactorChallenge:
    """The password was right; the second factor is still owed (`CompleteTwoFactorSignIn`)."""

    challenge: str
    expires_in: int


SignInResult = TokenPair | TwoFactorChallenge


class SignIn:
    """Exchange email and password for a new session, or a two-factor challenge.

    Rules: unknown email and wrong password fail alike, with the same work done (a
    dummy hash is verified); failures are counted per account and per client IP and,
    past a few free attempts, answered with an exponentially growing wait, never a
    permanent lock; success clears the account counter and re-hashes a password stored
    with weaker parameters than the current ones. With `require_verified_email`, an
    unverified user is refused once the password is known right (no enumeration). A
    user with two-factor on gets a short-lived, single-use challenge instead of tokens.
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        throttles: ThrottleRepository,
        throttling: SignInThrottling,
        sessions: SessionIssuer,
        clock: Clock,
        challenges: OneTimeTokens,
        auditor: Auditor,
        pseudonyms: Pseudonyms,
        rules: SignInRules = SignInRules(),  # noqa: B008 - frozen, shared safely
    ) -> None:
        self._pseudonyms = pseudonyms
        self._users = users
        self._hasher = hasher
        self._throttles = throttles
        self._throttling = throttling
        self._sessions = sessions
        self._clock = clock
        self._challenges = challenges
        self._auditor = auditor
        self._rules = rules

    async def execute(self, command: SignInCommand) -> SignInResult:
        now = self._clock.now()
        client = command.client
        account_key = account_throttle_key(self._pseudonyms, command.email)
        ip_key = "ip:" + client.network
        per_ip = self._throttling.per_ip
        wait = per_ip.retry_after(await self._throttles.get(ip_key), now)
        # The account attempt is counted before the password is checked (and forgotten
        # on success), so a burst of parallel guesses cannot share the free attempts.
        wait = wait or await self._throttles.reserve_attempt(
            account_key, now, self._throttling.per_account
        )
        if wait:
            log.info("sign_in", extra={"outcome": "throttled", "client_ip": client.ip})
            raise TooManyAttemptsError(wait)
        user = await self._find(command.email)
        if user is None:
            await self._hasher.verify_dummy(command.password)
        elif await self._hasher.verify(user.password_hash, command.password):
            await self._throttles.clear(account_key)
            await self._rehash_if_weak(user, command.password)
            return await self._succeed(user, client)
        await self._throttles.record_failure(ip_key, now, per_ip.window)
        log.info(
            "sign_in",
            extra={
                "outcome": "failure",
                "user_id": user.id if user else None,
                "client_ip": client.ip,
            },
        )
        # Recorded for unknown addresses too (under a keyed pseudonym, never the address
        # or a bare hash of it): the same write either way, so the time taken does not
        # tell them apart.
        subject = user.id if user else "unknown:" + account_key.removeprefix("acct:")[:24]
        await self._auditor.record(AuditEventType.SIGN_IN_FAILED, subject, client)
        raise InvalidCredentialsError

    async def _succeed(self, user: User, client: ClientInfo) -> SignInResult:
        now = self._clock.now()
        if self._rules.require_verified_email and not user.email_verified:
            log.info("sign_in", extra={"outcome": "unverified", "user_id": user.id})
            raise EmailNotVerifiedError
        if user.two_factor_enabled:
            ttl = self._rules.challenge_ttl
            challenge = await self._challenges.issue(
                user, TokenPurpose.TWO_FACTOR_CHALLENGE, str(user.token_version), now, ttl
            )
            log.info("sign_in", extra={"outcome": "challenged", "user_id": user.id})
            await self._auditor.record(AuditEventType.SIGN_IN_CHALLENGED, user.id, client)
            return TwoFactorChallenge(challenge, int(ttl.total_seconds()))
        log.info(
            "sign_in", extra={"outcome": "success", "user_id": user.id, "client_ip": client.ip}
        )
        tokens = await self._sessions.start(user, now, client)
        await self._auditor.record(
            AuditEventType.SIGN_IN_SUCCEEDED, user.id, client, actor_id=user.id, method="password"
        )
        return tokens

    async def _find(self, email: str) -> User | None:
        key = email_key(email)
        return None if key is None else await self._users.get_by_email(key)

    async def _rehash_if_weak(self, user: User, password: str) -> None:
        if not self._hasher.needs_rehash(user.password_hash):
            return
        upgraded = user.changed(self._clock.now(), password_hash=await self._hasher.hash(password))
        # If a concurrent edit wins, the next sign-in upgrades the hash.
        with contextlib.suppress(StaleVersionError):
            await self._users.update(upgraded, expected_version=user.version)
