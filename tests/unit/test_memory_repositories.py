"""The in-memory repositories keep the store's rules: unique email, versions, atomic spend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest

from adapters.memory.sessions import InMemoryRefreshSessionRepository
from adapters.memory.throttles import InMemoryThrottleRepository
from adapters.memory.users import InMemoryUserRepository
from domain.auth import RefreshSession, ThrottleState
from domain.errors import EmailTakenError, StaleVersionError
from domain.users import Email, Role, User

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def a_user(
    user_id: str = "u1",
    email: str = "ann@example.com",
    *,
    role: Role = Role.USER,
    created_at: datetime = NOW,
) -> User:
    return User(
        id=user_id,
        email=Email(email),
        name="Someone",
        role=role,
        password_hash="plain$velvet harbor quantum meadow",
        created_at=created_at,
        updated_at=created_at,
    )


@pytest.fixture
def users() -> InMemoryUserRepository:
    return InMemoryUserRepository()


@pytest.fixture
def sessions() -> InMemoryRefreshSessionRepository:
    return InMemoryRefreshSessionRepository()


@pytest.fixture
def throttles() -> InMemoryThrottleRepository:
    return InMemoryThrottleRepository()


# Users


async def test_a_user_added_is_found_by_id_and_by_email(users: InMemoryUserRepository) -> None:
    ann = a_user()
    await users.add(ann)

    assert await users.get("u1") == ann
    assert await users.get_by_email(Email("ANN@example.com")) == ann


async def test_unknown_ids_and_emails_find_nothing(users: InMemoryUserRepository) -> None:
    await users.add(a_user())
    assert await users.get("nope") is None
    assert await users.get_by_email(Email("bob@example.com")) is None


async def test_adding_a_second_user_with_the_same_email_fails(
    users: InMemoryUserRepository,
) -> None:
    ann = a_user()
    await users.add(ann)

    with pytest.raises(EmailTakenError):
        await users.add(a_user("u2", " Ann@Example.com"))

    assert await users.get("u2") is None
    assert await users.get_by_email(Email("ann@example.com")) == ann


async def test_an_update_to_another_users_email_fails_and_changes_nothing(
    users: InMemoryUserRepository,
) -> None:
    ann, bob = a_user("u1", "ann@example.com"), a_user("u2", "bob@example.com")
    await users.add(ann)
    await users.add(bob)

    with pytest.raises(EmailTakenError):
        await users.update(ann.changed(NOW, email=Email("bob@example.com")), expected_version=1)

    assert await users.get("u1") == ann
    assert await users.get_by_email(Email("ann@example.com")) == ann
    assert await users.get_by_email(Email("bob@example.com")) == bob


async def test_an_update_of_the_email_moves_the_unique_key(
    users: InMemoryUserRepository,
) -> None:
    ann = a_user()
    await users.add(ann)
    moved = ann.changed(NOW, email=Email("annie@example.com"))

    await users.update(moved, expected_version=1)

    assert await users.get_by_email(Email("annie@example.com")) == moved
    assert await users.get_by_email(Email("ann@example.com")) is None
    await users.add(a_user("u2", "ann@example.com"))  # the old email is free again


async def test_an_update_keeping_the_email_is_not_a_conflict_with_itself(
    users: InMemoryUserRepository,
) -> None:
    ann = a_user()
    await users.add(ann)
    renamed = ann.changed(NOW, name="Ann Smith")

    await users.update(renamed, expected_version=1)

    assert await users.get_by_email(ann.email) == renamed


async def test_an_update_with_the_wrong_expected_version_fails_and_changes_nothing(
    users: InMemoryUserRepository,
) -> None:
    ann = a_user()
    await users.add(ann)
    v2 = ann.changed(NOW, name="Second")
    await users.update(v2, expected_version=1)

    with pytest.raises(StaleVersionError):
        await users.update(ann.changed(NOW, name="Lost"), expected_version=1)

    assert await users.get("u1") == v2


async def test_an_update_of_a_missing_user_is_stale(users: InMemoryUserRepository) -> None:
    with pytest.raises(StaleVersionError):
        await users.update(a_user().changed(NOW, name="Ghost"), expected_version=1)
    assert await users.get("u1") is None


async def test_the_version_check_comes_before_the_email_check(
    users: InMemoryUserRepository,
) -> None:
    ann, bob = a_user("u1", "ann@example.com"), a_user("u2", "bob@example.com")
    await users.add(ann)
    await users.add(bob)

    with pytest.raises(StaleVersionError):
        await users.update(ann.changed(NOW, email=Email("bob@example.com")), expected_version=7)


async def test_delete_removes_the_user_and_frees_the_email(
    users: InMemoryUserRepository,
) -> None:
    await users.add(a_user())

    assert await users.delete("u1") is True

    assert await users.get("u1") is None
    assert await users.get_by_email(Email("ann@example.com")) is None
    await users.add(a_user("u2"))


async def test_deleting_a_missing_user_reports_false(users: InMemoryUserRepository) -> None:
    assert await users.delete("u1") is False


async def test_users_are_listed_by_creation_time_then_id_whatever_the_insertion_order(
    users: InMemoryUserRepository,
) -> None:
    later = a_user("a", "a@example.com", created_at=NOW + timedelta(seconds=2))
    tie_b = a_user("b", "b@example.com", created_at=NOW)
    tie_c = a_user("c", "c@example.com", created_at=NOW)
    earliest = a_user("z", "z@example.com", created_at=NOW - timedelta(days=1))
    for user in (later, tie_c, earliest, tie_b):
        await users.add(user)

    assert await users.list_page(10, None) == [earliest, tie_b, tie_c, later]


async def test_a_list_page_stops_at_the_limit(users: InMemoryUserRepository) -> None:
    for n in range(5):
        await users.add(a_user(f"u{n}", f"u{n}@example.com", created_at=NOW))

    page = await users.list_page(3, None)

    assert [u.id for u in page] == ["u0", "u1", "u2"]


async def test_a_list_page_starts_strictly_after_the_cursor(
    users: InMemoryUserRepository,
) -> None:
    first = a_user("u1", "u1@example.com", created_at=NOW)
    tie = a_user("u2", "u2@example.com", created_at=NOW)
    later = a_user("u0", "u0@example.com", created_at=NOW + timedelta(microseconds=1))
    for user in (first, tie, later):
        await users.add(user)

    after_first = await users.list_page(10, (NOW.isoformat(), "u1"))
    after_tie = await users.list_page(10, (NOW.isoformat(), "u2"))

    assert after_first == [tie, later]
    assert after_tie == [later]


async def test_admins_are_counted(users: InMemoryUserRepository) -> None:
    assert await users.count_admins() == 0
    await users.add(a_user("u1", "a@example.com", role=Role.ADMIN))
    await users.add(a_user("u2", "b@example.com"))
    await users.add(a_user("u3", "c@example.com", role=Role.ADMIN))

    assert await users.count_admins() == 2


async def test_the_admin_count_follows_updates_and_deletes(
    users: InMemoryUserRepository,
) -> None:
    admin = a_user("u1", role=Role.ADMIN)
    await users.add(admin)
    await users.update(admin.changed(NOW, role=Role.USER), expected_version=1)
    assert await users.count_admins() == 0

    await users.add(a_user("u2", "b@example.com", role=Role.ADMIN))
    await users.delete("u2")
    assert await users.count_admins() == 0


# Refresh sessions


def a_session(
    key: str = "h1",
    family_id: str = "f1",
    user_id: str = "u1",
    *,
    expires_at: datetime = NOW + timedelta(days=14),
    family_expires_at: datetime = NOW + timedelta(days=30),
) -> RefreshSession:
    return RefreshSession(
        token_hash=key,
        family_id=family_id,
        user_id=user_id,
        created_at=NOW,
        expires_at=expires_at,
        family_expires_at=family_expires_at,
    )


async def test_a_session_added_is_found_by_its_hash(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    session = a_session()
    await sessions.add(session)

    assert await sessions.get("h1") == session
    assert await sessions.get("h2") is None


async def test_a_live_session_is_spent_exactly_once(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session())

    assert await sessions.spend("h1", NOW) is True
    assert await sessions.spend("h1", NOW) is False
    assert await sessions.spend("h1", NOW + timedelta(seconds=1)) is False

    spent = await sessions.get("h1")
    assert spent is not None
    assert spent.spent_at == NOW


async def test_of_many_concurrent_spends_exactly_one_wins(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session())
    results: list[bool] = []

    async def spend() -> None:
        results.append(await sessions.spend("h1", NOW))

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(spend)

    assert sorted(results) == [False] * 9 + [True]


async def test_an_unknown_session_cannot_be_spent(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    assert await sessions.spend("nope", NOW) is False


async def test_a_revoked_session_cannot_be_spent(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session())
    await sessions.revoke_family("f1")

    assert await sessions.spend("h1", NOW) is False
    session = await sessions.get("h1")
    assert session is not None
    assert session.spent_at is None


async def test_an_expired_session_cannot_be_spent(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session(expires_at=NOW + timedelta(hours=1)))

    assert await sessions.spend("h1", NOW + timedelta(hours=1)) is False


async def test_revoking_a_family_revokes_all_of_its_sessions_and_nothing_else(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session("h1", "f1"))
    await sessions.add(a_session("h2", "f1"))
    await sessions.add(a_session("h3", "f2"))
    await sessions.spend("h1", NOW)

    await sessions.revoke_family("f1")

    revoked = {h: s.revoked for h in ("h1", "h2", "h3") if (s := await sessions.get(h))}
    assert revoked == {"h1": True, "h2": True, "h3": False}
    spent = await sessions.get("h1")
    assert spent is not None
    assert spent.spent_at == NOW  # revoking keeps the record of the spend


async def test_revoking_an_unknown_family_is_harmless(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session())
    await sessions.revoke_family("nope")
    session = await sessions.get("h1")
    assert session is not None
    assert not session.revoked


async def test_revoking_a_user_revokes_every_family_of_that_user_only(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    await sessions.add(a_session("h1", "f1", "ann"))
    await sessions.add(a_session("h2", "f2", "ann"))
    await sessions.add(a_session("h3", "f3", "bob"))

    await sessions.revoke_user("ann")

    revoked = {h: s.revoked for h in ("h1", "h2", "h3") if (s := await sessions.get(h))}
    assert revoked == {"h1": True, "h2": True, "h3": False}


async def test_spent_sessions_are_kept_for_reuse_detection_until_their_family_expires(
    sessions: InMemoryRefreshSessionRepository,
) -> None:
    family_end = NOW + timedelta(days=30)
    await sessions.add(a_session("old", "f1", family_expires_at=family_end))
    await sessions.spend("old", NOW)
    await sessions.add(
        a_session("live", "f2", expires_at=NOW + timedelta(days=40), family_expires_at=NOW)
    )
    later = NOW + timedelta(days=10)
    await sessions.add(a_session("next", "f1", expires_at=later + timedelta(days=1)))

    assert await sessions.spend("next", later) is True

    assert await sessions.get("old") is not None  # family f1 still alive
    assert await sessions.get("live") is None  # family f2 expired: pruned


# Throttle counters

WINDOW = timedelta(minutes=15)


async def test_a_key_without_failures_has_no_state(throttles: InMemoryThrottleRepository) -> None:
    assert await throttles.get("acct:x") is None


async def test_failures_within_the_window_are_counted(
    throttles: InMemoryThrottleRepository,
) -> None:
    await throttles.record_failure("k", NOW, WINDOW)
    await throttles.record_failure("k", NOW + timedelta(minutes=10), WINDOW)
    state = await throttles.record_failure("k", NOW + timedelta(minutes=20), WINDOW)

    assert state == ThrottleState(3, NOW + timedelta(minutes=20))
    assert await throttles.get("k") == state


async def test_the_window_is_measured_from_the_last_failure(
    throttles: InMemoryThrottleRepository,
) -> None:
    await throttles.record_failure("k", NOW, WINDOW)
    just_inside = NOW + WINDOW - timedelta(microseconds=1)
    assert (await throttles.record_failure("k", just_inside, WINDOW)).failures == 2


async def test_a_counter_idle_for_the_whole_window_starts_again_at_one(
    throttles: InMemoryThrottleRepository,
) -> None:
    for _ in range(4):
        await throttles.record_failure("k", NOW, WINDOW)

    state = await throttles.record_failure("k", NOW + WINDOW, WINDOW)

    assert state == ThrottleState(1, NOW + WINDOW)


async def test_counters_are_kept_per_key(throttles: InMemoryThrottleRepository) -> None:
    await throttles.record_failure("acct:a", NOW, WINDOW)
    await throttles.record_failure("acct:a", NOW, WINDOW)
    await throttles.record_failure("ip:1", NOW, WINDOW)

    assert await throttles.get("acct:a") == ThrottleState(2, NOW)
    assert await throttles.get("ip:1") == ThrottleState(1, NOW)


async def test_clearing_a_counter_forgets_it_and_leaves_others(
    throttles: InMemoryThrottleRepository,
) -> None:
    await throttles.record_failure("acct:a", NOW, WINDOW)
    await throttles.record_failure("ip:1", NOW, WINDOW)

    await throttles.clear("acct:a")
    await throttles.clear("never-seen")

    assert await throttles.get("acct:a") is None
    assert await throttles.get("ip:1") == ThrottleState(1, NOW)
    assert (await throttles.record_failure("acct:a", NOW, WINDOW)).failures == 1
