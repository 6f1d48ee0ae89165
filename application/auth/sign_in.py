from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass

from application.auth.sessions import SessionIssuer, TokenPair
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock
from application.ports.throttle_repository import ThrottleRepository
from application.ports.user_repository import UserRepository
from domain.auth import ThrottlePolicy
from domain.errors import (
    InvalidCredentialsError,
    InvalidInputError,
    StaleVersionError,
    TooManyAttemptsError,
)
from domain.users import Email, User

log = logging.getLogger("auth.sign_in")


@dataclass(frozen=True, slots=True)
class SignInCommand:
    email: str
    password: str
    client_ip: str


@dataclass(frozen=True, slots=True)
class SignInThrottling:
    per_account: ThrottlePolicy
    per_ip: ThrottlePolicy


class SignIn:
    """Exchange email and password for a new session.

    Rules: unknown email and wrong password fail alike, with the same work done (a
    dummy hash is verified); failures are counted per account and per client IP and,
    past a few free attempts, answered with an exponentially growing wait, never a
    permanent lock; success clears the account counter and re-hashes a password stored
    with weaker parameters than the current ones.
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        throttles: ThrottleRepository,
        throttling: SignInThrottling,
        sessions: SessionIssuer,
        clock: Clock,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._throttles = throttles
        self._throttling = throttling
        self._sessions = sessions
        self._clock = clock

    async def execute(self, command: SignInCommand) -> TokenPair:
        now = self._clock.now()
        account_key = "acct:" + hashlib.sha256(command.email.strip().lower().encode()).hexdigest()
        ip_key = "ip:" + command.client_ip
        per_ip = self._throttling.per_ip
        wait = per_ip.retry_after(await self._throttles.get(ip_key), now)
        # The account attempt is counted before the password is checked (and forgotten
        # on success), so a burst of parallel guesses cannot share the free attempts.
        wait = wait or await self._throttles.reserve_attempt(
            account_key, now, self._throttling.per_account
        )
        if wait:
            log.info("sign_in", extra={"outcome": "throttled", "client_ip": command.client_ip})
            raise TooManyAttemptsError(wait)
        user = await self._find(command.email)
        if user is None:
            await self._hasher.verify_dummy(command.password)
        elif await self._hasher.verify(user.password_hash, command.password):
            await self._throttles.clear(account_key)
            await self._rehash_if_weak(user, command.password)
            log.info(
                "sign_in",
                extra={"outcome": "success", "user_id": user.id, "client_ip": command.client_ip},
            )
            return await self._sessions.start(user, now)
        await self._throttles.record_failure(ip_key, now, per_ip.window)
        log.info(
            "sign_in",
            extra={
                "outcome": "failure",
                "user_id": user.id if user else None,
                "client_ip": command.client_ip,
            },
        )
        raise InvalidCredentialsError

    async def _find(self, email: str) -> User | None:
        try:
            return await self._users.get_by_email(Email(email))
        except InvalidInputError:
            return None

    async def _rehash_if_weak(self, user: User, password: str) -> None:
        if not self._hasher.needs_rehash(user.password_hash):
            return
        upgraded = user.changed(self._clock.now(), password_hash=await self._hasher.hash(password))
        # If a concurrent edit wins, the next sign-in upgrades the hash.
        with contextlib.suppress(StaleVersionError):
            await self._users.update(upgraded, expected_version=user.version)
