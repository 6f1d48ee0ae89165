"""Refresh-token rotation, reuse detection, expiry and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest

from application.auth.refresh import RefreshCommand
from application.auth.sessions import TokenPair, hash_refresh_token
from application.auth.sign_in import SignInCommand
from application.auth.sign_out import SignOutCommand
from application.context import ClientInfo
from application.users.create_user import NewUser
from domain.auth import RefreshSession
from domain.errors import AuthenticationError
from domain.users import User
from entrypoints.bootstrap import Services
from tests.fakes import FixedClock

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PASSWORD = "velvet harbor quantum meadow"
EMAIL = "ann@example.com"
IDLE = timedelta(days=14)
ABSOLUTE = timedelta(days=30)
GRACE = timedelta(seconds=5)


@pytest.fixture
async def ann(fake_services: Services) -> User:
    return await fake_services.user_factory.create(NewUser(EMAIL, PASSWORD, "Ann"))


async def sign_in(services: Services, email: str = EMAIL) -> TokenPair:
    return await services.sign_in.execute(SignInCommand(email, PASSWORD, ClientInfo("203.0.113.7")))


async def refresh(services: Services, token: str) -> TokenPair:
    return await services.refresh.execute(RefreshCommand(token))


async def session_of(services: Services, token: str) -> RefreshSession:
    session = await services.adapters.sessions.get(hash_refresh_token(token))
    assert session is not None
    return session


async def assert_refused(services: Services, token: str) -> None:
    with pytest.raises(AuthenticationError):
        await refresh(services, token)


# Rotation


async def test_a_refresh_returns_a_new_pair_and_spends_the_old_token(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    first = await sign_in(fake_services)
    clock.advance(minutes=10)

    second = await refresh(fake_services, first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert second.expires_in == 15 * 60
    old = await session_of(fake_services, first.refresh_token)
    assert old.spent_at == clock.now()
    assert not old.revoked


async def test_the_new_session_continues_the_family_with_a_fresh_idle_expiry(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    first = await sign_in(fake_services)
    old = await session_of(fake_services, first.refresh_token)
    clock.advance(days=3)

    second = await refresh(fake_services, first.refresh_token)

    new = await session_of(fake_services, second.refresh_token)
    assert new.family_id == old.family_id
    assert new.user_id == ann.id
    assert new.created_at == clock.now()
    assert new.expires_at == clock.now() + IDLE
    assert new.family_expires_at == old.family_expires_at
    assert new.is_live(clock.now())


async def test_the_new_refresh_token_can_be_refreshed_in_turn(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    token = (await sign_in(fake_services)).refresh_token
    for _ in range(5):
        clock.advance(hours=1)
        token = (await refresh(fake_services, token)).refresh_token

    assert (await session_of(fake_services, token)).is_live(clock.now())


async def test_a_refresh_issues_an_access_token_for_the_same_user(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    clock.current = datetime.now(UTC)  # the JWT adapter checks times against the wall clock
    first = await sign_in(fake_services)

    second = await refresh(fake_services, first.refresh_token)

    assert (await fake_services.authenticate.execute(second.access_token)).user == ann


async def test_an_unknown_refresh_token_is_refused(fake_services: Services, ann: User) -> None:
    await sign_in(fake_services)
    await assert_refused(fake_services, "not-a-token-we-issued")


async def test_an_access_token_is_not_a_refresh_token(fake_services: Services, ann: User) -> None:
    pair = await sign_in(fake_services)
    await assert_refused(fake_services, pair.access_token)


# Reuse of a spent token


async def test_a_spent_token_presented_within_the_grace_window_is_refused_without_revoking(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    first = await sign_in(fake_services)
    second = await refresh(fake_services, first.refresh_token)
    clock.advance(seconds=2)

    await assert_refused(fake_services, first.refresh_token)

    assert not (await session_of(fake_services, first.refresh_token)).revoked
    assert not (await session_of(fake_services, second.refresh_token)).revoked
    await refresh(fake_services, second.refresh_token)


async def test_a_spent_token_presented_at_the_edge_of_the_grace_window_does_not_revoke(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    first = await sign_in(fake_services)
    second = await refresh(fake_services, first.refresh_token)
    clock.advance(seconds=GRACE.total_seconds())

    await assert_refused(fake_services, first.refresh_token)

    await refresh(fake_services, second.refresh_token)


async def test_a_spent_token_presented_after_the_grace_window_revokes_its_family(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    first = await sign_in(fake_services)
    second = await refresh(fake_services, first.refresh_token)
    clock.advance(seconds=GRACE.total_seconds() + 1)

    await assert_refused(fake_services, first.refresh_token)

    assert (await session_of(fake_services, first.refresh_token)).revoked
    assert (await session_of(fake_services, second.refresh_token)).revoked
    await assert_refused(fake_services, second.refresh_token)


async def test_reuse_revokes_only_the_family_of_the_reused_token(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    stolen = await sign_in(fake_services)
    other_device = await sign_in(fake_services)
    await refresh(fake_services, stolen.refresh_token)
    clock.advance(minutes=1)

    await assert_refused(fake_services, stolen.refresh_token)

    assert not (await session_of(fake_services, other_device.refresh_token)).revoked
    await refresh(fake_services, other_device.refresh_token)


async def test_a_token_spent_long_ago_in_a_long_chain_still_revokes_the_whole_family(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    tokens = [(await sign_in(fake_services)).refresh_token]
    for _ in range(3):
        clock.advance(hours=1)
        tokens.append((await refresh(fake_services, tokens[-1])).refresh_token)

    await assert_refused(fake_services, tokens[1])

    for token in tokens:
        assert (await session_of(fake_services, token)).revoked


async def test_two_concurrent_refreshes_of_one_token_yield_exactly_one_new_pair(
    fake_services: Services, ann: User
) -> None:
    token = (await sign_in(fake_services)).refresh_token
    pairs: list[TokenPair] = []
    refusals: list[AuthenticationError] = []

    async def attempt() -> None:
        try:
            pairs.append(await refresh(fake_services, token))
        except AuthenticationError as exc:
            refusals.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(attempt)
        tg.start_soon(attempt)

    assert (len(pairs), len(refusals)) == (1, 1)
    assert not (await session_of(fake_services, pairs[0].refresh_token)).revoked


# Expiry


async def test_a_token_refreshes_until_just_before_its_idle_expiry(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    pair = await sign_in(fake_services)
    clock.advance(seconds=IDLE.total_seconds() - 1)

    await refresh(fake_services, pair.refresh_token)


async def test_a_token_idle_for_its_whole_idle_lifetime_is_refused(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    pair = await sign_in(fake_services)
    clock.advance(seconds=IDLE.total_seconds())

    await assert_refused(fake_services, pair.refresh_token)

    session = await session_of(fake_services, pair.refresh_token)
    assert (session.spent_at, session.revoked) == (None, False)  # expired, not reused


async def test_a_family_ends_at_its_absolute_expiry_however_often_it_is_refreshed(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    token = (await sign_in(fake_services)).refresh_token
    family_end = (await session_of(fake_services, token)).family_expires_at
    assert family_end == clock.now() + ABSOLUTE

    clock.advance(days=13)
    token = (await refresh(fake_services, token)).refresh_token
    clock.advance(days=13)
    token = (await refresh(fake_services, token)).refresh_token

    last = await session_of(fake_services, token)
    assert last.expires_at == family_end  # not 14 more days
    clock.current = family_end - timedelta(seconds=1)
    token = (await refresh(fake_services, token)).refresh_token
    clock.current = family_end
    await assert_refused(fake_services, token)


# Users that are gone or signed out


async def test_a_refresh_for_a_deleted_user_is_refused_and_spends_nothing(
    fake_services: Services, ann: User
) -> None:
    pair = await sign_in(fake_services)
    assert await fake_services.adapters.users.delete(ann.id)

    await assert_refused(fake_services, pair.refresh_token)

    assert (await session_of(fake_services, pair.refresh_token)).spent_at is None


async def test_a_refresh_after_sign_out_is_refused(fake_services: Services, ann: User) -> None:
    pair = await sign_in(fake_services)
    await fake_services.sign_out.execute(SignOutCommand(pair.refresh_token))

    await assert_refused(fake_services, pair.refresh_token)


# Sign-out


async def test_sign_out_revokes_every_session_of_the_family(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    first = await sign_in(fake_services)
    second = await refresh(fake_services, first.refresh_token)

    await fake_services.sign_out.execute(SignOutCommand(second.refresh_token))

    assert (await session_of(fake_services, first.refresh_token)).revoked
    assert (await session_of(fake_services, second.refresh_token)).revoked
    await assert_refused(fake_services, second.refresh_token)


async def test_sign_out_with_a_spent_token_still_revokes_its_family(
    fake_services: Services, ann: User
) -> None:
    first = await sign_in(fake_services)
    second = await refresh(fake_services, first.refresh_token)

    await fake_services.sign_out.execute(SignOutCommand(first.refresh_token))

    assert (await session_of(fake_services, second.refresh_token)).revoked


async def test_sign_out_leaves_the_users_other_families_alone(
    fake_services: Services, ann: User
) -> None:
    laptop = await sign_in(fake_services)
    phone = await sign_in(fake_services)

    await fake_services.sign_out.execute(SignOutCommand(laptop.refresh_token))

    assert not (await session_of(fake_services, phone.refresh_token)).revoked
    await refresh(fake_services, phone.refresh_token)


async def test_sign_out_with_an_unknown_token_succeeds_and_changes_nothing(
    fake_services: Services, ann: User
) -> None:
    pair = await sign_in(fake_services)

    await fake_services.sign_out.execute(SignOutCommand("never-issued"))

    assert not (await session_of(fake_services, pair.refresh_token)).revoked


async def test_signing_out_twice_is_harmless(fake_services: Services, ann: User) -> None:
    pair = await sign_in(fake_services)

    await fake_services.sign_out.execute(SignOutCommand(pair.refresh_token))
    await fake_services.sign_out.execute(SignOutCommand(pair.refresh_token))

    assert (await session_of(fake_services, pair.refresh_token)).revoked
