"""One throttle for every guess at a user's second factor (and the password asked with it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.ports.throttle_repository import ThrottleRepository
from domain.auth import ThrottlePolicy
from domain.errors import TooManyAttemptsError

# A 6-digit code accepted within ±1 step gives a guess a 3-in-a-million chance, so code
# guesses are much scarcer than password guesses: 5 free, then a doubling wait up to an
# hour, remembered for a day. About 24 guesses a day at most, never a permanent lock.
TWO_FACTOR_POLICY = ThrottlePolicy(
    free_attempts=5,
    window=timedelta(hours=24),
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(hours=1),
)


class TwoFactorThrottle:
    """Enrolling, confirming, disabling and the sign-in code step all draw on one
    budget per user, so spreading guesses over the routes gains nothing."""

    def __init__(self, throttles: ThrottleRepository, policy: ThrottlePolicy) -> None:
        self._throttles = throttles
        self._policy = policy

    async def reserve(self, user_id: str, now: datetime) -> None:
        """Count one guess; `TooManyAttemptsError` when the user must wait first."""
        wait = await self._throttles.reserve_attempt(_key(user_id), now, self._policy)
        if wait:
            raise TooManyAttemptsError(wait)

    async def clear(self, user_id: str) -> None:
        """A right guess: the count starts again."""
        await self._throttles.clear(_key(user_id))


def _key(user_id: str) -> str:
    return f"2fa:{user_id}"
