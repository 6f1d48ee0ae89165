from __future__ import annotations

from datetime import datetime, timedelta

from domain.auth import ThrottlePolicy, ThrottleState


class InMemoryThrottleRepository:
    def __init__(self) -> None:
        self._states: dict[str, ThrottleState] = {}

    async def get(self, key: str) -> ThrottleState | None:
        return self._states.get(key)

    async def record_failure(self, key: str, now: datetime, window: timedelta) -> ThrottleState:
        previous = self._states.get(key)
        failures = 1
        if previous is not None and now - previous.last_failure_at < window:
            failures = previous.failures + 1
        state = ThrottleState(failures, now)
        self._states[key] = state
        return state

    async def reserve_attempt(self, key: str, now: datetime, policy: ThrottlePolicy) -> int:
        # No await between check and write: atomic on the event loop.
        wait = policy.retry_after(self._states.get(key), now)
        if wait == 0:
            await self.record_failure(key, now, policy.window)
        return wait

    async def clear(self, key: str) -> None:
        self._states.pop(key, None)
