from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.auth import ThrottlePolicy, ThrottleState
from tests.contract.conftest import Stores

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

# Relative to the real time: Mongo's TTL index removes documents whose expiry has passed.
NOW = datetime.now(UTC).replace(microsecond=0)
WINDOW = timedelta(minutes=15)


async def test_failures_count_up_within_the_window(stores: Stores) -> None:
    assert await stores.throttles.get("k") is None
    await stores.throttles.record_failure("k", NOW, WINDOW)
    state = await stores.throttles.record_failure("k", NOW + timedelta(seconds=1), WINDOW)
    assert state == ThrottleState(2, NOW + timedelta(seconds=1))
    assert await stores.throttles.get("k") == state


async def test_a_counter_idle_for_the_whole_window_starts_again(stores: Stores) -> None:
    await stores.throttles.record_failure("k", NOW, WINDOW)
    await stores.throttles.record_failure("k", NOW, WINDOW)
    state = await stores.throttles.record_failure("k", NOW + WINDOW, WINDOW)
    assert state.failures == 1


async def test_clearing_forgets_the_key_only(stores: Stores) -> None:
    await stores.throttles.record_failure("a", NOW, WINDOW)
    await stores.throttles.record_failure("b", NOW, WINDOW)
    await stores.throttles.clear("a")
    await stores.throttles.clear("never-seen")
    assert await stores.throttles.get("a") is None
    assert await stores.throttles.get("b") is not None


async def test_concurrent_failures_are_all_counted(stores: Stores) -> None:
    await asyncio.gather(*(stores.throttles.record_failure("k", NOW, WINDOW) for _ in range(8)))
    state = await stores.throttles.get("k")
    assert state is not None
    assert state.failures == 8


async def test_a_reservation_counts_the_attempt_while_free_attempts_remain(stores: Stores) -> None:
    policy = ThrottlePolicy(free_attempts=2, window=WINDOW)
    assert await stores.throttles.reserve_attempt("k", NOW, policy) == 0
    assert await stores.throttles.reserve_attempt("k", NOW, policy) == 0
    assert await stores.throttles.get("k") == ThrottleState(2, NOW)


async def test_a_refused_reservation_waits_and_does_not_extend_the_wait(stores: Stores) -> None:
    policy = ThrottlePolicy(free_attempts=1, window=WINDOW, base_delay=timedelta(seconds=10))
    await stores.throttles.reserve_attempt("k", NOW, policy)
    wait = await stores.throttles.reserve_attempt("k", NOW + timedelta(seconds=4), policy)
    assert wait == 6
    assert await stores.throttles.get("k") == ThrottleState(1, NOW)
    assert await stores.throttles.reserve_attempt("k", NOW + timedelta(seconds=10), policy) == 0


async def test_concurrent_reservations_cannot_share_the_free_attempts(stores: Stores) -> None:
    policy = ThrottlePolicy(free_attempts=3, window=WINDOW)
    waits = await asyncio.gather(
        *(stores.throttles.reserve_attempt("k", NOW, policy) for _ in range(12))
    )
    assert waits.count(0) == 3
