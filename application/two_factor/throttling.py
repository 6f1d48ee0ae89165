"""One throttle for every guess at a user's second factor (and the password asked with it)."""

from __future__ import annotations

from datetime import timedelta

from domain.auth import ThrottlePolicy

# A 6-digit code accepted within ±1 step gives a guess a 3-in-a-million chance, so code
# guesses are much scarcer than password guesses: 5 free, then a doubling wait up to an
# hour, remembered for a day. About 24 guesses a day at most, never a permanent lock.
TWO_FACTOR_POLICY = ThrottlePolicy(
    free_attempts=5,
    window=timedelta(hours=24),
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(hours=1),
)


def two_factor_throttle_key(user_id: str) -> str:
    return f"2fa:{user_id}"
