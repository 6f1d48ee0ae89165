"""One throttle and one audit trail for every check of a secret of a known account.

A stolen access token must not become a password-guessing channel: changing the
password or the email, deleting the account and every two-factor step check a secret
of an account that is already known, and all of them draw on one budget per account
and one per client network (so spreading guesses over routes or accounts gains
nothing), answer 429 with `Retry-After` past it, and audit each failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.audit.auditor import Auditor
from application.context import ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock
from application.ports.throttle_repository import ThrottleRepository
from application.two_factor.codes import AcceptedCode, accept_code
from domain.audit import AuditEventType
from domain.auth import ThrottlePolicy
from domain.errors import (
    FieldError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    TooManyAttemptsError,
)
from domain.users import User

# A 6-digit code accepted within ±1 step gives a guess a 3-in-a-million chance, so
# guesses are much scarcer than at sign-in: 5 free, then a doubling wait up to an hour,
# remembered for a day. About 24 guesses a day at most, never a permanent lock.
PER_ACCOUNT = ThrottlePolicy(
    free_attempts=5,
    window=timedelta(hours=24),
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(hours=1),
)
# Failures from one client network across all accounts (a NAT holds many users).
PER_CLIENT = ThrottlePolicy(
    free_attempts=20,
    window=timedelta(hours=1),
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(hours=1),
)


@dataclass(frozen=True, slots=True)
class SecretCheckPolicies:
    per_account: ThrottlePolicy = PER_ACCOUNT
    per_client: ThrottlePolicy = PER_CLIENT


@dataclass(frozen=True, slots=True)
class Proof:
    """What a signed-in caller gives to re-authenticate, and the request fields it came
    in (named in a 422 when one is missing)."""

    password: str | None
    code: str | None = None
    password_field: str = "current_password"
    code_field: str = "code"


class SecretChecks:
    def __init__(
        self,
        throttles: ThrottleRepository,
        hasher: PasswordHasher,
        otp: OneTimePasswords,
        auditor: Auditor,
        clock: Clock,
        policies: SecretCheckPolicies = SecretCheckPolicies(),  # noqa: B008 - frozen
    ) -> None:
        self._throttles = throttles
        self._hasher = hasher
        self._otp = otp
        self._auditor = auditor
        self._clock = clock
        self._policies = policies

    async def reauthenticate(
        self, user: User, proof: Proof, client: ClientInfo, operation: str
    ) -> AcceptedCode | None:
        """Check the password, and a second-factor code when two-factor is on.

        422 naming the missing field; 429 past the budget; 401 (audited) when either is
        wrong. Returns the accepted code, whose step the caller stores with its change
        (`AcceptedCode.factor`) so the code cannot be replayed; None without two-factor.
        """
        # Absent is a 422 naming the field; present but empty is just wrong (401).
        if proof.password is None:
            raise _missing(proof.password_field, "Enter your current password.")
        if user.two_factor_enabled and proof.code is None:
            raise _missing(proof.code_field, "Enter a code from your authenticator app.")
        now = self._clock.now()
        await self.begin(user.id, client, now)
        accepted: AcceptedCode | None = None
        ok = await self._hasher.verify(user.password_hash, proof.password)
        if ok and user.totp is not None and user.two_factor_enabled:
            try:
                accepted = accept_code(self._otp, user.totp, proof.code or "", now)
            except InvalidCodeError:
                ok = False
        if not ok:
            await self.failed(user.id, client, now, operation=operation)
            raise InvalidCredentialsError(
                "The password or the code is incorrect."
                if user.two_factor_enabled
                else "The current password is incorrect."
            )
        await self.succeeded(user.id)
        return accepted

    async def begin(self, user_id: str, client: ClientInfo, now: datetime) -> None:
        """Count one attempt on the account (atomically, so parallel guesses cannot share
        the free ones); `TooManyAttemptsError` when the account or the client must wait."""
        p = self._policies
        wait = p.per_client.retry_after(await self._throttles.get(_client_key(client)), now)
        wait = wait or await self._throttles.reserve_attempt(
            _account_key(user_id), now, p.per_account
        )
        if wait:
            raise TooManyAttemptsError(wait)

    async def failed(
        self,
        user_id: str,
        client: ClientInfo,
        now: datetime,
        *,
        operation: str,
        event: AuditEventType = AuditEventType.REAUTHENTICATION_FAILED,
    ) -> None:
        """A wrong secret: counted against the client too, and audited."""
        window = self._policies.per_client.window
        await self._throttles.record_failure(_client_key(client), now, window)
        await self._auditor.record(event, user_id, client, operation=operation)

    async def succeeded(self, user_id: str) -> None:
        """A right secret: the account's count starts again."""
        await self._throttles.clear(_account_key(user_id))


def _missing(field: str, message: str) -> InvalidInputError:
    return InvalidInputError([FieldError(field, message)])


def _account_key(user_id: str) -> str:
    return f"secret:{user_id}"


def _client_key(client: ClientInfo) -> str:
    return f"secret-ip:{client.network}"
