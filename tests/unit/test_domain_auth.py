"""Authentication rules: password policy, sign-in throttling, refresh sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.auth import (
    ABSOLUTE_MIN_PASSWORD_LENGTH,
    PasswordPolicy,
    RefreshSession,
    ThrottlePolicy,
    ThrottleState,
)
from domain.errors import FieldError, InvalidInputError

pytestmark = [pytest.mark.unit]

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
EMAIL = "ann@example.com"
NAME = "Ann"
NO_BLOCKLIST: frozenset[str] = frozenset()


def check(
    password: str,
    policy: PasswordPolicy | None = None,
    *,
    email: str = EMAIL,
    name: str = NAME,
    blocklist: frozenset[str] = NO_BLOCKLIST,
) -> None:
    (policy or PasswordPolicy()).check(password, email=email, name=name, blocklist=blocklist)


def rejection(
    password: str,
    policy: PasswordPolicy | None = None,
    *,
    email: str = EMAIL,
    name: str = NAME,
    blocklist: frozenset[str] = NO_BLOCKLIST,
) -> FieldError:
    with pytest.raises(InvalidInputError) as exc:
        check(password, policy, email=email, name=name, blocklist=blocklist)
    assert len(exc.value.errors) == 1
    return exc.value.errors[0]


# Password policy: configuration


def test_the_default_policy_allows_15_to_128_characters() -> None:
    policy = PasswordPolicy()
    assert (policy.min_length, policy.max_length) == (15, 128)


def test_the_minimum_length_can_be_lowered_to_eight_but_not_below() -> None:
    assert PasswordPolicy(min_length=ABSOLUTE_MIN_PASSWORD_LENGTH).min_length == 8
    with pytest.raises(ValueError, match="at least 8"):
        PasswordPolicy(min_length=7)


def test_a_maximum_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="max_length"):
        PasswordPolicy(min_length=20, max_length=19)


# Password policy: length


def test_a_password_one_character_short_is_rejected() -> None:
    assert rejection("x" * 14) == FieldError("password", "Use at least 15 characters.")


def test_a_password_of_exactly_the_minimum_length_is_accepted() -> None:
    check("x" * 15)


def test_a_password_of_exactly_the_maximum_length_is_accepted() -> None:
    check("x" * 128)


def test_a_password_over_the_maximum_is_rejected_rather_than_truncated() -> None:
    assert rejection("x" * 129) == FieldError("password", "Use at most 128 characters.")


def test_a_lowered_minimum_is_honoured() -> None:
    policy = PasswordPolicy(min_length=8)
    check("abcdefgh", policy)
    assert rejection("abcdefg", policy) == FieldError("password", "Use at least 8 characters.")


def test_length_counts_code_points_after_nfc_not_before() -> None:
    # 14 x "e" + combining acute: 28 code points as typed, 14 after NFC.
    assert rejection("e\u0301" * 14).message == "Use at least 15 characters."


def test_fifteen_composed_characters_typed_decomposed_are_accepted() -> None:
    check("e\u0301" * 15)


def test_the_maximum_also_counts_code_points_after_nfc() -> None:
    # 256 code points as typed, 128 after NFC: accepted.
    check("e\u0301" * 128)


def test_length_counts_code_points_not_bytes_or_utf16_units() -> None:
    check("\U0001f600" * 15)  # 60 UTF-8 bytes, 30 UTF-16 units, 15 code points
    assert rejection("\U0001f600" * 14).message == "Use at least 15 characters."


# Password policy: no composition rules


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaaaaa", "correct horse battery staple", "               ", "0123456789012345"],
)
def test_there_are_no_composition_rules(password: str) -> None:
    check(password)


# Password policy: blocklist, email and name


def test_a_blocklisted_password_is_rejected() -> None:
    blocked = frozenset({"123456789qwerty"})
    error = rejection("123456789qwerty", blocklist=blocked)
    assert error == FieldError("password", "This password is too common; choose another.")


def test_the_blocklist_is_consulted_case_insensitively() -> None:
    blocked = frozenset({"123456789qwerty"})
    error = rejection("123456789QWERTY", blocklist=blocked)
    assert error.message == "This password is too common; choose another."


def test_the_blocklist_is_consulted_after_nfc() -> None:
    blocked = frozenset({"\u00e9" * 15})
    error = rejection("e\u0301" * 15, blocklist=blocked)
    assert error.message == "This password is too common; choose another."


def test_a_password_equal_to_the_email_is_rejected_whatever_its_case() -> None:
    email = "ann.smith@example.com"
    error = rejection("Ann.Smith@Example.com", email=email)
    assert error == FieldError("password", "The password must not be your email or your name.")


def test_a_password_equal_to_the_name_is_rejected_whatever_its_case() -> None:
    name = "  Annabel Smithsonian  "
    error = rejection("annabel smithsonian", name=name)
    assert error.message == "The password must not be your email or your name."


def test_a_password_merely_containing_the_email_or_name_is_accepted() -> None:
    check("ann.smith@example.com!", email="ann.smith@example.com")
    check("Annabel Smithsonian 2026", name="Annabel Smithsonian")


def test_the_error_names_the_field_it_was_asked_to() -> None:
    with pytest.raises(InvalidInputError) as exc:
        PasswordPolicy().check(
            "short", email=EMAIL, name=NAME, blocklist=NO_BLOCKLIST, field="new_password"
        )
    assert [e.field for e in exc.value.errors] == ["new_password"]


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
