from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from domain.auth import ThrottlePolicy, ThrottleState


class ThrottleRepository(Protocol):
    """Failure counters shared by every instance (so throttling works across Lambdas)."""

    async def get(self, key: str) -> ThrottleState | None: ...

    async def record_failure(self, key: str, now: datetime, window: timedelta) -> ThrottleState:
        """Count one failure; a counter idle for longer than `window` starts again at 1."""

    async def reserve_attempt(self, key: str, now: datetime, policy: ThrottlePolicy) -> int:
        """Atomically check and count one attempt.

        If `policy` lets the caller try now, count the attempt as a failure (the caller
        clears the key on success) and return 0; otherwise change nothing and return the
        seconds to wait. Concurrent callers cannot all pass on the same free attempt.
        """

    async def clear(self, key: str) -> None: ...
