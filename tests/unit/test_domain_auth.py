"""Authentication rules: sign-in throttling, refresh sessions (the password policy is
in test_password_policy.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.auth import RefreshSession, ThrottlePolicy, ThrottleState

pytestmark = [pytest.mark.unit]

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


# Throttle policy

POLICY = ThrottlePolicy(free_attempts=5, window=timedelta(minutes=15))


def failures(count: int, at: datetime = NOW) -> ThrottleState:
    return ThrottleState(failures=count, last_failure_at=at)


def test_no_failures_means_no_wait() -> None:
    assert POLICY.retry_after(None, NOW) == 0


@pytest.mark.parametrize("count", [1, 2, 4])
def test_failures_below_the_free_attempts_mean_no_wait(count: int) -> None:
    assert POLICY.retry_after(failures(count), NOW) == 0


@pytest.mark.parametrize(
    ("count", "expected"), [(5, 1), (6, 2), (7, 4), (8, 8), (9, 16), (12, 128)]
)
def test_each_failure_past_the_free_attempts_doubles_the_wait(count: int, expected: int) -> None:
    assert POLICY.retry_after(failures(count), NOW) == expected


def test_the_wait_is_capped_at_the_maximum_delay() -> None:
    assert POLICY.retry_after(failures(15), NOW) == 15 * 60
    assert POLICY.retry_after(failures(10_000), NOW) == 15 * 60


def test_the_wait_counts_down_as_time_passes() -> None:
    state = failures(8)  # 8 s
    assert POLICY.retry_after(state, NOW + timedelta(seconds=3)) == 5
    assert POLICY.retry_after(state, NOW + timedelta(seconds=8)) == 0
    assert POLICY.retry_after(state, NOW + timedelta(seconds=60)) == 0


def test_a_partial_second_left_is_rounded_up() -> None:
    state = failures(6)  # 2 s
    assert POLICY.retry_after(state, NOW + timedelta(milliseconds=500)) == 2
    assert POLICY.retry_after(state, NOW + timedelta(milliseconds=1999)) == 1


def test_failures_older_than_the_window_are_forgotten_even_before_the_delay_ends() -> None:
    policy = ThrottlePolicy(free_attempts=3, window=timedelta(minutes=1))
    state = failures(20)  # capped delay of 15 min, far longer than the window
    assert policy.retry_after(state, NOW + timedelta(seconds=59)) == 15 * 60 - 59
    assert policy.retry_after(state, NOW + timedelta(minutes=1)) == 0


def test_the_base_and_maximum_delays_are_configurable() -> None:
    policy = ThrottlePolicy(
        free_attempts=1,
        window=timedelta(hours=1),
        base_delay=timedelta(seconds=10),
        max_delay=timedelta(seconds=30),
    )
    assert [policy.retry_after(failures(n), NOW) for n in (1, 2, 3, 4)] == [10, 20, 30, 30]


def test_zero_free_attempts_throttles_after_the_first_failure() -> None:
    policy = ThrottlePolicy(free_attempts=0, window=timedelta(minutes=15))
    assert policy.retry_after(failures(1), NOW) == 2


# Refresh sessions


def a_session(**overrides: object) -> RefreshSession:
    fields: dict[str, object] = {
        "token_hash": "h1",
        "family_id": "f1",
        "user_id": "u1",
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=14),
        "family_expires_at": NOW + timedelta(days=30),
    }
    fields.update(overrides)
    return RefreshSession(**fields)  # type: ignore[arg-type]


def test_a_fresh_session_is_live() -> None:
    session = a_session()
    assert (session.spent_at, session.revoked) == (None, False)
    assert session.is_live(NOW)


def test_a_spent_session_is_not_live() -> None:
    assert not a_session(spent_at=NOW).is_live(NOW + timedelta(seconds=1))


def test_a_revoked_session_is_not_live() -> None:
    assert not a_session(revoked=True).is_live(NOW)


def test_a_session_is_live_until_just_before_its_idle_expiry() -> None:
    session = a_session()
    assert session.is_live(session.expires_at - timedelta(microseconds=1))
    assert not session.is_live(session.expires_at)


def test_the_next_expiry_is_an_idle_period_from_now() -> None:
    later = NOW + timedelta(days=3)
    assert a_session().next_expiry(later, timedelta(days=14)) == later + timedelta(days=14)


def test_the_next_expiry_never_passes_the_family_expiry() -> None:
    session = a_session()
    later = NOW + timedelta(days=20)
    assert session.next_expiry(later, timedelta(days=14)) == session.family_expires_at
