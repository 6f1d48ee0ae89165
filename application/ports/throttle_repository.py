from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from domain.auth import ThrottleState


class ThrottleRepository(Protocol):
    """Failure counters shared by every instance (so throttling works across Lambdas)."""

    async def get(self, key: str) -> ThrottleState | None: ...

    async def record_failure(self, key: str, now: datetime, window: timedelta) -> ThrottleState:
        """Count one failure; a counter idle for longer than `window` starts again at 1."""

    async def clear(self, key: str) -> None: ...
