"""No session outlives the credentials it was issued under, and ending a session ends
its access tokens at once (SECURITY.md, "Credential changes and re-authentication").

The races are made deterministic: a credential change runs exactly when a sign-in is
about to store its session, i.e. after the sign-in checked the old password and after
the change revoked every session that existed. (tests/integration/test_session_races.py
runs the same races freely, many times, on every store.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.memory.sessions import InMemoryRefreshSessionRepository
from application.auth.password_reset import (
    ConfirmPasswordResetCommand,
    RequestPasswordResetCommand,
)
from application.auth.refresh import RefreshCommand
from application.auth.sessions import TokenPair, hash_refresh_token
from application.auth.sign_in_two_factor import TwoFactorSignInCommand
from application.auth.sign_out import SignOutCommand
from application.sessions.list_sessions import ListSessionsQuery
from application.sessions.revoke_other_sessions import RevokeOtherSessionsCommand
from application.sessions.revoke_session import RevokeSessionCommand
from application.two_factor.disable import DisableTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactorCommand
from application.users.change_password import ChangePasswordCommand
from application.users.update_user import UpdateUserCommand
from domain.errors import AuthenticationError, InvalidCredentialsError, RefreshReuseError
from domain.users import MAX_REVOKED_SESSIONS, Role, User
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.unit.lifecycle_helpers import (
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    PHONE,
    enable_two_factor,
    fresh,
    make_user,
    reset_token,
    services_with,
    sign_in_challenge,
    sign_in_tokens,
    totp_code,
    use_wall_clock,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

Hook = Callable[[], Awaitable[None]]


class SessionsWithHook(InMemoryRefreshSessionRepository):
    """Runs `hook` once, just before the next session is stored."""

    def __init__(self) -> None:
        super().__init__()
        self.hook: Hook | None = None

    async def add(self, session: Any) -> None:
        hook, self.hook = self.hook, None
        if hook is not None:
            await hook()
        await super().add(session)


@pytest.fixture
def sessions() -> SessionsWithHook:
    return SessionsWithHook()


@pytest.fixture
def services(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender, sessions: SessionsWithHook
) -> Services:
    use_wall_clock(clock)  # access tokens are verified against the real time
    return services_with(settings, clock, outbox, sessions=sessions)


@pytest.fixture
async def ann(services: Services) -> User:
    return await make_user(services, verified=True)


async def assert_dead(services: Services, pair: TokenPair) -> None:
    """Neither token of the pair works any more, and its session is revoked."""
    with pytest.raises(AuthenticationError):
        await services.authenticate.execute(pair.access_token)
    with pytest.raises(AuthenticationError):
        await services.refresh.execute(RefreshCommand(pair.refresh_token))
    session = await services.adapters.sessions.get(hash_refresh_token(pair.refresh_token))
    assert session is not None
    assert session.revoked


async def assert_alive(services: Services, pair: TokenPair) -> TokenPair:
    await services.authenticate.execute(pair.access_token)
    return await services.refresh.execute(RefreshCommand(pair.refresh_token))


# A sign-in racing a credential change


async def test_a_sign_in_racing_a_password_change_gets_no_session(
    services: Services, sessions: SessionsWithHook, ann: User
) -> None:
    async def change() -> None:
        await services.change_password.execute(ChangePasswordCommand(ann, PASSWORD, NEW_PASSWORD))

    sessions.hook = change
    with pytest.raises(InvalidCredentialsError):
        await sign_in_tokens(services)

    assert await services.list_sessions.execute(ListSessionsQuery(await fresh(services, ann))) == []
    (stored,) = sessions._sessions.values()
    assert stored.revoked
    await assert_alive(services, await sign_in_tokens(services, password=NEW_PASSWORD))


async def test_a_sign_in_racing_a_reset_gets_no_session(
    services: Services, sessions: SessionsWithHook, outbox: InMemoryEmailSender, ann: User
) -> None:
    await services.request_password_reset.execute(RequestPasswordResetCommand(EMAIL))

    async def reset() -> None:
        await services.confirm_password_reset.execute(
            ConfirmPasswordResetCommand(reset_token(outbox), NEW_PASSWORD)
        )

    sessions.hook = reset
    with pytest.raises(InvalidCredentialsError):
        await sign_in_tokens(services)
    assert all(s.revoked for s in sessions._sessions.values())


async def test_a_two_factor_sign_in_racing_the_factor_being_turned_off_gets_no_session(
    services: Services, sessions: SessionsWithHook, clock: FixedClock, ann: User
) -> None:
    two_factor = await enable_two_factor(services, clock, ann)
    challenge = await sign_in_challenge(services)

    async def disable() -> None:
        await services.disable_two_factor.execute(
            DisableTwoFactorCommand(
                await fresh(services, ann), PASSWORD, totp_code(two_factor.secret, clock.now())
            )
        )

    sessions.hook = disable
    with pytest.raises(InvalidCredentialsError):
        await services.sign_in_two_factor.execute(
            TwoFactorSignInCommand(challenge, two_factor.backup_codes[0])
        )
    assert all(s.revoked for s in sessions._sessions.values())


async def test_a_sign_in_racing_a_role_change_gets_no_session(
    services: Services, sessions: SessionsWithHook, ann: User
) -> None:
    admin = await make_user(services, "root@example.com", "Root", Role.ADMIN, verified=True)

    async def promote() -> None:
        command = UpdateUserCommand(admin, ann.id, ann.version, role=Role.ADMIN)
        await services.update_user.execute(command)

    sessions.hook = promote
    with pytest.raises(InvalidCredentialsError):
        await sign_in_tokens(services)
    assert all(s.revoked for s in sessions._sessions.values())


# Sessions issued under old credentials


async def test_a_session_issued_under_old_credentials_cannot_refresh(
    services: Services, ann: User
) -> None:
    pair = await sign_in_tokens(services)
    # The user's credentials change without the sessions being revoked (as when the
    # revocation step failed, or for sessions stored before they recorded a version).
    stored = await fresh(services, ann)
    await services.adapters.users.update(
        stored.with_new_credentials(stored.updated_at), expected_version=stored.version
    )

    await assert_dead(services, pair)
    assert await services.list_sessions.execute(ListSessionsQuery(await fresh(services, ann))) == []


async def test_turning_two_factor_off_ends_every_session(
    services: Services, clock: FixedClock, ann: User
) -> None:
    two_factor = await enable_two_factor(services, clock, ann)
    pair = await services.sign_in_two_factor.execute(
        TwoFactorSignInCommand(await sign_in_challenge(services), two_factor.backup_codes[0])
    )

    await services.disable_two_factor.execute(
        DisableTwoFactorCommand(
            await fresh(services, ann), PASSWORD, totp_code(two_factor.secret, clock.now())
        )
    )

    await assert_dead(services, pair)


async def test_abandoning_a_pending_enrollment_ends_no_session(
    services: Services, ann: User
) -> None:
    pair = await sign_in_tokens(services)
    await services.enroll_two_factor.execute(
        EnrollTwoFactorCommand(await fresh(services, ann), PASSWORD)
    )

    await services.disable_two_factor.execute(
        DisableTwoFactorCommand(await fresh(services, ann), PASSWORD, "")
    )

    await assert_alive(services, pair)


# Ending one session ends its access tokens at once


async def test_signing_out_ends_the_access_token_of_that_session_at_once(
    services: Services, ann: User
) -> None:
    laptop, phone = await sign_in_tokens(services), await sign_in_tokens(services, client=PHONE)

    await services.sign_out.execute(SignOutCommand(laptop.refresh_token))

    await assert_dead(services, laptop)
    await assert_alive(services, phone)
    assert (await fresh(services, ann)).version == ann.version  # not a change of the user


async def test_revoking_a_device_ends_its_access_token_at_once(
    services: Services, ann: User
) -> None:
    laptop, phone = await sign_in_tokens(services), await sign_in_tokens(services, client=PHONE)
    principal = await services.authenticate.execute(phone.access_token)

    await services.revoke_session.execute(
        RevokeSessionCommand(principal.user, await _session_id(services, laptop))
    )

    await assert_dead(services, laptop)
    await assert_alive(services, phone)


async def test_signing_out_everywhere_else_ends_their_access_tokens_but_not_this_one(
    services: Services, ann: User
) -> None:
    here = await sign_in_tokens(services)
    others = [await sign_in_tokens(services, client=PHONE) for _ in range(3)]
    principal = await services.authenticate.execute(here.access_token)

    await services.revoke_other_sessions.execute(
        RevokeOtherSessionsCommand(principal.user, principal.session_id)
    )

    for pair in others:
        await assert_dead(services, pair)
    await assert_alive(services, here)


async def test_a_reused_refresh_token_ends_the_access_tokens_of_its_family(
    services: Services, clock: FixedClock, ann: User
) -> None:
    stolen = await sign_in_tokens(services)
    rotated = await services.refresh.execute(RefreshCommand(stolen.refresh_token))
    clock.advance(seconds=10)  # past the reuse grace window, within the JWT leeway

    with pytest.raises(RefreshReuseError):
        await services.refresh.execute(RefreshCommand(stolen.refresh_token))

    with pytest.raises(AuthenticationError):
        await services.authenticate.execute(rotated.access_token)
    with pytest.raises(AuthenticationError):
        await services.authenticate.execute(stolen.access_token)


async def test_when_too_many_sessions_ended_lately_every_session_ends(
    services: Services, ann: User
) -> None:
    """The list of ended sessions is bounded; past it, failing closed means ending all."""
    ended = [await sign_in_tokens(services) for _ in range(MAX_REVOKED_SESSIONS)]
    for pair in ended:
        await services.sign_out.execute(SignOutCommand(pair.refresh_token))
    survivor = await sign_in_tokens(services, client=PHONE)
    one_more = await sign_in_tokens(services)

    await services.sign_out.execute(SignOutCommand(one_more.refresh_token))

    await assert_dead(services, one_more)
    await assert_dead(services, survivor)
    for pair in ended:
        with pytest.raises(AuthenticationError):
            await services.authenticate.execute(pair.access_token)
    await assert_alive(services, await sign_in_tokens(services))


async def test_ended_sessions_are_forgotten_once_their_access_tokens_expired(
    services: Services, clock: FixedClock, ann: User
) -> None:
    pair = await sign_in_tokens(services)
    await services.sign_out.execute(SignOutCommand(pair.refresh_token))
    assert (await fresh(services, ann)).session_revoked(await _session_id(services, pair))
    lifetime = services.adapters.tokens.accepted_lifetime_seconds

    clock.advance(seconds=lifetime + 1)
    other = await sign_in_tokens(services)
    await services.sign_out.execute(SignOutCommand(other.refresh_token))

    stored = await fresh(services, ann)
    assert [r.family_id for r in stored.revoked_sessions] == [await _session_id(services, other)]


async def _session_id(services: Services, pair: TokenPair) -> str:
    session = await services.adapters.sessions.get(hash_refresh_token(pair.refresh_token))
    assert session is not None
    return session.family_id


async def test_the_access_token_of_an_ended_session_fails_even_from_the_verified_cache(
    services: Services, ann: User
) -> None:
    pair = await sign_in_tokens(services)
    await services.authenticate.execute(pair.access_token)  # now in the verified cache

    await services.sign_out.execute(SignOutCommand(pair.refresh_token))

    with pytest.raises(AuthenticationError):
        await services.authenticate.execute(pair.access_token)


async def test_a_password_change_keeps_nothing_of_the_caller_either(
    services: Services, ann: User
) -> None:
    here = await sign_in_tokens(services)
    actor = (await services.authenticate.execute(here.access_token)).user

    await services.change_password.execute(ChangePasswordCommand(actor, PASSWORD, NEW_PASSWORD))

    await assert_dead(services, here)
