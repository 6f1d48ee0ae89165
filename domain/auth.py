"""Authentication rules: password policy, refresh sessions, sign-in throttling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The password policy has its own module; these names stay importable from here.
from domain.passwords import (
    ABSOLUTE_MIN_PASSWORD_LENGTH,
    MAX_PASSWORD_LENGTH,
    PasswordPolicy,
    PasswordRule,
)

__all__ = [
    "ABSOLUTE_MIN_PASSWORD_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "PasswordPolicy",
    "PasswordRule",
    "RefreshSession",
    "ThrottlePolicy",
    "ThrottleState",
]


@dataclass(frozen=True, slots=True)
class RefreshSession:
    """One refresh token of a family. Only the SHA-256 of the token is ever stored.

    A family starts at sign-in; each refresh spends the presented session and adds the
    next one. `family_expires_at` is the absolute limit, `expires_at` the idle one.
    A family is what the user sees as one signed-in device ("session"): its id is the
    family id, `family_created_at` when it signed in, `created_at` of its live token
    when it was last used, `device` the user agent and `ip` the last client address.
    """

    token_hash: str
    family_id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    family_expires_at: datetime
    spent_at: datetime | None = None
    revoked: bool = False
    family_created_at: datetime | None = None
    device: str = ""
    ip: str = ""
    # The user's `token_version` when the family started: a password change, reset,
    # two-factor change or role change raises the user's, and a session that is behind
    # is dead. 0 marks sessions stored before sessions recorded it: never current.
    token_version: int = 0

    @property
    def started_at(self) -> datetime:
        return self.family_created_at or self.created_at

    def is_live(self, now: datetime) -> bool:
        return not self.revoked and self.spent_at is None and now < self.expires_at

    def is_current_for(self, user_token_version: int) -> bool:
        """Issued under the user's current credentials (see `token_version`)."""
        return self.token_version == user_token_version

    def next_expiry(self, now: datetime, idle: timedelta) -> datetime:
        return min(now + idle, self.family_expires_at)


@dataclass(frozen=True, slots=True)
class ThrottleState:
    failures: int
    last_failure_at: datetime


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Exponential back-off after `free_attempts` failures, never a permanent lock.

    After the free attempts each further failure doubles the wait, capped at
    `max_delay`; failures older than `window` are forgotten. An attacker can slow a
    real user down, but the user can always sign in again after at most `max_delay`.
    """

    free_attempts: int
    window: timedelta
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)

    def retry_after(self, state: ThrottleState | None, now: datetime) -> int:
        """Seconds the caller must wait before its next attempt; 0 when it may go now."""
        if state is None or now - state.last_failure_at >= self.window:
            return 0
        excess = state.failures - self.free_attempts
        if excess < 0:
            return 0
        delay = min(self.base_delay * (2 ** min(excess, 30)), self.max_delay)
        remaining = state.last_failure_at + delay - now
        return max(0, int(-(-remaining.total_seconds() // 1)))
