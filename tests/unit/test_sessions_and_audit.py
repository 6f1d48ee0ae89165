"""Per-device sessions (listing, revoking one or all others) and the audit trail
(who may read it, paging, what it records, and that it never holds a secret)."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from adapters.email.memory import InMemoryEmailSender
from application.audit.list_events import AuditPage, ListAuditEventsQuery
from application.auth.password_reset import (
    ConfirmPasswordResetCommand,
    RequestPasswordResetCommand,
)
from application.auth.refresh import RefreshCommand
from application.auth.sessions import TokenPair, hash_secret
from application.auth.sign_in_two_factor import TwoFactorSignInCommand
from application.auth.sign_out import SignOutCommand
from application.auth.verify_email import ResendVerificationCommand, VerifyEmailCommand
from application.context import ClientInfo
from application.sessions.list_sessions import ListSessionsQuery
from application.sessions.revoke_other_sessions import RevokeOtherSessionsCommand
from application.sessions.revoke_session import RevokeSessionCommand
from application.two_factor.codes import hash_backup_code
from application.users.change_password import ChangePasswordCommand
from application.users.delete_user import DeleteUserCommand
from application.users.update_user import UpdateUserCommand
from domain.audit import AuditEvent, AuditEventType
from domain.auth import RefreshSession
from domain.errors import (
    AuthenticationError,
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    PermissionDeniedError,
    SessionNotFoundError,
    StoreUnavailableError,
)
from domain.users import Role, User
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.unit.lifecycle_helpers import (
    EMAIL,
    LAPTOP,
    NEW_PASSWORD,
    OTHER_EMAIL,
    PASSWORD,
    PHONE,
    THIRD_PASSWORD,
    audit_events,
    audit_types,
    enable_two_factor,
    events_of_type,
    fresh,
    make_user,
    reset_token,
    services_with,
    sign_in_challenge,
    sign_in_tokens,
    sign_up,
    token_of,
    totp_code,
    use_wall_clock,
    verification_token,
    wrong_totp_code,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

TABLET = ClientInfo("192.0.2.44", "Mozilla/5.0 (iPad; CPU OS 18_0) Safari/604.1", "req-tablet")
ADMIN_EMAIL = "root@example.com"


@pytest.fixture
async def ann(fake_services: Services) -> User:
    return await make_user(fake_services, verified=True)


@pytest.fixture
async def bob(fake_services: Services) -> User:
    return await make_user(fake_services, OTHER_EMAIL, "Bob", verified=True)


@pytest.fixture
async def admin(fake_services: Services) -> User:
    return await make_user(fake_services, ADMIN_EMAIL, "Root", Role.ADMIN, verified=True)


async def sessions_of(services: Services, user: User) -> list[RefreshSession]:
    return await services.list_sessions.execute(ListSessionsQuery(user))


async def family_of(services: Services, pair: TokenPair) -> str:
    session = await services.adapters.sessions.get(hash_secret(pair.refresh_token))
    assert session is not None
    return session.family_id


async def refresh(services: Services, pair: TokenPair, client: ClientInfo = LAPTOP) -> TokenPair:
    return await services.refresh.execute(RefreshCommand(pair.refresh_token, client))


async def assert_refresh_refused(services: Services, pair: TokenPair) -> None:
    with pytest.raises(AuthenticationError):
        await refresh(services, pair)


async def list_events(
    services: Services,
    actor: User,
    user_id: str | None,
    limit: int = 20,
    cursor: str | None = None,
) -> AuditPage:
    return await services.list_audit_events.execute(
        ListAuditEventsQuery(actor, user_id, limit, cursor)
    )


# Sessions


async def test_each_sign_in_is_a_session_with_its_device_and_address(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)

    (session,) = await sessions_of(fake_services, ann)

    assert session.family_id == await family_of(fake_services, laptop)
    assert (session.device, session.ip) == (LAPTOP.user_agent, LAPTOP.ip)
    assert session.started_at == session.created_at == clock.now()


async def test_a_very_long_user_agent_is_cut_to_a_label(fake_services: Services, ann: User) -> None:
    await sign_in_tokens(fake_services, client=ClientInfo("192.0.2.1", "A" * 5000))

    (session,) = await sessions_of(fake_services, ann)

    assert session.device == "A" * 200


async def test_sessions_are_listed_most_recently_used_first(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)
    clock.advance(minutes=1)
    phone = await sign_in_tokens(fake_services, client=PHONE)
    clock.advance(minutes=1)
    tablet = await sign_in_tokens(fake_services, client=TABLET)
    clock.advance(minutes=1)
    await refresh(fake_services, laptop, LAPTOP)

    listed = [s.family_id for s in await sessions_of(fake_services, ann)]

    assert listed == [
        await family_of(fake_services, laptop),
        await family_of(fake_services, tablet),
        await family_of(fake_services, phone),
    ]


async def test_only_the_users_own_live_sessions_are_listed(
    fake_services: Services, clock: FixedClock, ann: User, bob: User
) -> None:
    mine = await sign_in_tokens(fake_services)
    await sign_in_tokens(fake_services, OTHER_EMAIL)
    ended = await sign_in_tokens(fake_services)
    await fake_services.sign_out.execute(SignOutCommand(ended.refresh_token))

    listed = [s.family_id for s in await sessions_of(fake_services, ann)]

    assert listed == [await family_of(fake_services, mine)]


async def test_a_session_idle_past_its_lifetime_is_not_listed(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    await sign_in_tokens(fake_services)
    clock.advance(days=14)

    assert await sessions_of(fake_services, ann) == []


async def test_a_refresh_keeps_the_session_and_updates_last_use_and_address(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    signed_in_at = clock.now()
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)
    family = await family_of(fake_services, laptop)
    clock.advance(hours=2)
    moved = ClientInfo("192.0.2.99", LAPTOP.user_agent)

    await refresh(fake_services, laptop, moved)

    (session,) = await sessions_of(fake_services, ann)
    assert session.family_id == family
    assert session.created_at == clock.now()  # last used
    assert session.family_created_at == signed_in_at
    assert session.started_at == signed_in_at
    assert session.ip == "192.0.2.99"
    assert session.device == LAPTOP.user_agent


async def test_the_principal_names_the_session_its_access_token_came_from(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    use_wall_clock(clock)
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)
    phone = await sign_in_tokens(fake_services, client=PHONE)
    refreshed = await refresh(fake_services, laptop)

    for pair, origin in [(laptop, laptop), (phone, phone), (refreshed, laptop)]:
        principal = await fake_services.authenticate.execute(pair.access_token)
        assert principal.user.id == ann.id
        assert principal.session_id == await family_of(fake_services, origin)


async def test_revoking_your_own_session_ends_its_refresh_token_only(
    fake_services: Services, ann: User
) -> None:
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)
    phone = await sign_in_tokens(fake_services, client=PHONE)

    await fake_services.revoke_session.execute(
        RevokeSessionCommand(ann, await family_of(fake_services, phone), LAPTOP)
    )

    await assert_refresh_refused(fake_services, phone)
    await refresh(fake_services, laptop)
    listed = [s.family_id for s in await sessions_of(fake_services, ann)]
    assert listed == [await family_of(fake_services, laptop)]
    (event,) = await events_of_type(fake_services, AuditEventType.SESSION_REVOKED)
    assert dict(event.details) == {"session_id": await family_of(fake_services, phone)}


async def test_revoking_someone_elses_session_is_not_found_and_revokes_nothing(
    fake_services: Services, ann: User, bob: User
) -> None:
    bobs = await sign_in_tokens(fake_services, OTHER_EMAIL)

    with pytest.raises(SessionNotFoundError):
        await fake_services.revoke_session.execute(
            RevokeSessionCommand(ann, await family_of(fake_services, bobs))
        )

    await refresh(fake_services, bobs)
    assert await events_of_type(fake_services, AuditEventType.SESSION_REVOKED) == []


async def test_revoking_an_unknown_or_already_revoked_session_is_not_found(
    fake_services: Services, ann: User
) -> None:
    laptop = await sign_in_tokens(fake_services)
    family = await family_of(fake_services, laptop)
    await fake_services.revoke_session.execute(RevokeSessionCommand(ann, family))

    for session_id in ["no-such-session", family]:
        with pytest.raises(SessionNotFoundError):
            await fake_services.revoke_session.execute(RevokeSessionCommand(ann, session_id))


async def test_revoking_the_other_sessions_keeps_the_current_one(
    fake_services: Services, ann: User, bob: User
) -> None:
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)
    phone = await sign_in_tokens(fake_services, client=PHONE)
    tablet = await sign_in_tokens(fake_services, client=TABLET)
    bobs = await sign_in_tokens(fake_services, OTHER_EMAIL)

    await fake_services.revoke_other_sessions.execute(
        RevokeOtherSessionsCommand(ann, await family_of(fake_services, laptop), LAPTOP)
    )

    await assert_refresh_refused(fake_services, phone)
    await assert_refresh_refused(fake_services, tablet)
    await refresh(fake_services, laptop)
    await refresh(fake_services, bobs)
    listed = [s.family_id for s in await sessions_of(fake_services, ann)]
    assert listed == [await family_of(fake_services, laptop)]
    assert AuditEventType.OTHER_SESSIONS_REVOKED in await audit_types(fake_services, ann.id)


async def test_signing_out_removes_the_session_from_the_list(
    fake_services: Services, ann: User
) -> None:
    laptop = await sign_in_tokens(fake_services, client=LAPTOP)
    phone = await sign_in_tokens(fake_services, client=PHONE)

    await fake_services.sign_out.execute(SignOutCommand(phone.refresh_token))

    listed = [s.family_id for s in await sessions_of(fake_services, ann)]
    assert listed == [await family_of(fake_services, laptop)]


# Who may read the trail


async def test_a_user_reads_their_own_events(fake_services: Services, ann: User, bob: User) -> None:
    await sign_in_tokens(fake_services)
    await sign_in_tokens(fake_services, OTHER_EMAIL)

    page = await list_events(fake_services, ann, ann.id)

    assert [e.type for e in page.items] == [AuditEventType.SIGN_IN_SUCCEEDED]
    assert {e.user_id for e in page.items} == {ann.id}
    assert page.next_cursor is None


async def test_a_user_may_not_read_someone_elses_or_everyones_events(
    fake_services: Services, ann: User, bob: User
) -> None:
    for user_id in [bob.id, None]:
        with pytest.raises(PermissionDeniedError) as exc:
            await list_events(fake_services, ann, user_id)
        assert type(exc.value) is PermissionDeniedError


async def test_an_unverified_admin_may_not_read_others_events(
    fake_services: Services, ann: User
) -> None:
    unverified = await make_user(fake_services, "root2@example.com", "Root", Role.ADMIN)

    for user_id in [ann.id, None]:
        with pytest.raises(EmailNotVerifiedError):
            await list_events(fake_services, unverified, user_id)
    await list_events(fake_services, unverified, unverified.id)  # their own: fine


async def test_an_admin_reads_anyones_events_and_everyones_with_no_user(
    fake_services: Services, admin: User, ann: User, bob: User
) -> None:
    await sign_in_tokens(fake_services)
    await sign_in_tokens(fake_services, OTHER_EMAIL)

    anns = await list_events(fake_services, admin, ann.id)
    everyone = await list_events(fake_services, admin, None)

    assert {e.user_id for e in anns.items} == {ann.id}
    assert {e.user_id for e in everyone.items} == {ann.id, bob.id}


async def test_events_are_listed_newest_first(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    await sign_in_tokens(fake_services)
    clock.advance(minutes=1)
    await fake_services.change_password.execute(
        ChangePasswordCommand(await fresh(fake_services, ann), PASSWORD, NEW_PASSWORD)
    )
    clock.advance(minutes=1)
    await sign_in_tokens(fake_services, password=NEW_PASSWORD)

    page = await list_events(fake_services, ann, ann.id)

    assert [e.type for e in page.items] == [
        AuditEventType.SIGN_IN_SUCCEEDED,
        AuditEventType.PASSWORD_CHANGED,
        AuditEventType.SIGN_IN_SUCCEEDED,
    ]
    times = [e.at for e in page.items]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == 3


@pytest.mark.parametrize("same_instant", [False, True], ids=["spread-out", "same-instant"])
async def test_paging_25_events_by_10_yields_each_once_in_order(
    fake_services: Services, clock: FixedClock, ann: User, same_instant: bool
) -> None:
    for _ in range(25):
        await sign_in_tokens(fake_services)
        if not same_instant:
            clock.advance(seconds=1)
    expected = [e.id for e in await audit_events(fake_services, ann.id)]
    assert len(expected) == 25

    pages: list[AuditPage] = []
    cursor: str | None = None
    while True:
        page = await list_events(fake_services, ann, ann.id, limit=10, cursor=cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [e.id for p in pages for e in p.items] == expected


async def test_an_exactly_full_last_page_has_no_next_cursor(
    fake_services: Services, ann: User
) -> None:
    for _ in range(10):
        await sign_in_tokens(fake_services)

    page = await list_events(fake_services, ann, ann.id, limit=10)

    assert (len(page.items), page.next_cursor) == (10, None)


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b"no separator").decode(),
        base64.urlsafe_b64encode(b"yesterday|id000001").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe|x").decode(),
    ],
)
async def test_a_cursor_that_is_not_ours_is_invalid_input(
    fake_services: Services, ann: User, cursor: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await list_events(fake_services, ann, ann.id, cursor=cursor)

    assert [error.field for error in exc.value.errors] == ["cursor"]


@pytest.mark.parametrize("timestamp", ["2026-01-01T12:00:00", "2026-01-01"])
async def test_a_cursor_with_a_timestamp_without_time_zone_is_invalid_input(
    fake_services: Services, ann: User, timestamp: str
) -> None:
    await sign_in_tokens(fake_services)
    cursor = base64.urlsafe_b64encode(f"{timestamp}|id000009".encode()).decode()

    with pytest.raises(InvalidInputError) as exc:
        await list_events(fake_services, ann, ann.id, cursor=cursor)

    assert [error.field for error in exc.value.errors] == ["cursor"]


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_a_limit_outside_1_to_100_is_invalid_input(
    fake_services: Services, ann: User, limit: int
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await list_events(fake_services, ann, ann.id, limit=limit)

    assert [error.field for error in exc.value.errors] == ["limit"]


@pytest.mark.parametrize("limit", [1, 100])
async def test_limits_1_and_100_are_accepted(
    fake_services: Services, ann: User, limit: int
) -> None:
    await sign_in_tokens(fake_services)

    page = await list_events(fake_services, ann, ann.id, limit=limit)

    assert len(page.items) == 1


# What the trail records


async def test_the_trail_never_holds_a_password_token_code_or_hash(
    fake_services: Services, outbox: InMemoryEmailSender, clock: FixedClock
) -> None:
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, THIRD_PASSWORD]

    def keep(*values: str) -> None:
        secrets.extend(values)
        secrets.extend(hash_secret(value) for value in values)

    signed_up = await sign_up(fake_services, client=LAPTOP)
    ann = signed_up.user
    keep(signed_up.tokens.access_token, signed_up.tokens.refresh_token)
    await fake_services.resend_verification.execute(ResendVerificationCommand(EMAIL, LAPTOP))
    keep(*[token_of(link) for link in outbox.links(EMAIL)])
    await fake_services.verify_email.execute(VerifyEmailCommand(verification_token(outbox)))
    pair = await sign_in_tokens(fake_services, client=PHONE)
    keep(pair.access_token, pair.refresh_token)
    refreshed = await refresh(fake_services, pair, PHONE)
    keep(refreshed.access_token, refreshed.refresh_token)
    await fake_services.request_password_reset.execute(RequestPasswordResetCommand(EMAIL, PHONE))
    keep(reset_token(outbox))
    await fake_services.confirm_password_reset.execute(
        ConfirmPasswordResetCommand(reset_token(outbox), NEW_PASSWORD, PHONE)
    )
    two_factor = await enable_two_factor(fake_services, clock, ann, NEW_PASSWORD)
    assert two_factor.user.totp is not None
    keep(two_factor.secret, *two_factor.backup_codes)
    secrets.extend(hash_backup_code(code) for code in two_factor.backup_codes)
    challenge = await sign_in_challenge(fake_services, password=NEW_PASSWORD, client=LAPTOP)
    keep(challenge)
    with pytest.raises(InvalidCodeError):
        await fake_services.sign_in_two_factor.execute(
            TwoFactorSignInCommand(challenge, wrong_totp_code(two_factor.secret, clock.now()))
        )
    backup_pair = await fake_services.sign_in_two_factor.execute(
        TwoFactorSignInCommand(challenge, two_factor.backup_codes[0], LAPTOP)
    )
    keep(backup_pair.access_token, backup_pair.refresh_token)
    clock.advance(seconds=30)
    totp_pair = await fake_services.sign_in_two_factor.execute(
        TwoFactorSignInCommand(
            await sign_in_challenge(fake_services, password=NEW_PASSWORD),
            totp_code(two_factor.secret, clock.now()),
        )
    )
    keep(totp_pair.access_token, totp_pair.refresh_token)
    await fake_services.change_password.execute(
        ChangePasswordCommand(
            await fresh(fake_services, ann),
            NEW_PASSWORD,
            THIRD_PASSWORD,
            code=two_factor.backup_codes[1],
        )
    )
    stored = await fresh(fake_services, ann)
    secrets.append(stored.password_hash)

    events = await audit_events(fake_services)
    assert len({e.type for e in events}) >= 10, [e.type for e in events]
    for event in events:
        dumped = repr(event) + repr(dataclasses.asdict(event)) + str(dict(event.details))
        leaked = [secret for secret in secrets if secret and secret in dumped]
        assert not leaked, (event.type, leaked)


async def test_a_wrong_password_is_recorded_for_known_and_unknown_addresses_alike(
    fake_services: Services, ann: User
) -> None:
    for email in [EMAIL, "nobody@example.com"]:
        with pytest.raises(InvalidCredentialsError):
            await sign_in_tokens(fake_services, email, NEW_PASSWORD, PHONE)

    unknown, known = await events_of_type(fake_services, AuditEventType.SIGN_IN_FAILED)
    assert (known.user_id, known.actor_id, known.ip) == (ann.id, None, PHONE.ip)
    # The same write for an unknown address (so timing tells nothing), under a digest.
    assert unknown.user_id.startswith("unknown:")
    assert "nobody" not in repr(unknown)
    assert len(await audit_events(fake_services)) == 2


async def test_a_failing_audit_store_does_not_fail_the_action(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    class FailingAuditLog:
        def __init__(self) -> None:
            self.attempts = 0

        async def record(self, event: AuditEvent) -> None:
            self.attempts += 1
            raise StoreUnavailableError

        async def list_page(
            self, user_id: str | None, limit: int, before: tuple[str, str] | None
        ) -> list[AuditEvent]:
            raise StoreUnavailableError

    failing = FailingAuditLog()
    services = services_with(settings, clock, outbox, audit=failing)

    signed_up = await sign_up(services)
    pair = await sign_in_tokens(services)
    await services.sign_out.execute(SignOutCommand(pair.refresh_token))

    assert signed_up.tokens.refresh_token
    assert isinstance(pair, TokenPair)
    assert failing.attempts >= 2  # sign-up and sign-in both tried to record


async def test_a_role_change_records_from_to_and_the_admin_as_actor(
    fake_services: Services, admin: User, ann: User
) -> None:
    await fake_services.update_user.execute(
        UpdateUserCommand(admin, ann.id, ann.version, role=Role.ADMIN, client=LAPTOP)
    )

    (event,) = await events_of_type(fake_services, AuditEventType.ROLE_CHANGED)
    assert event.user_id == ann.id
    assert event.actor_id == admin.id
    assert dict(event.details) == {"from": "user", "to": "admin"}
    assert (event.ip, event.request_id) == (LAPTOP.ip, LAPTOP.request_id)


async def test_deleting_a_user_is_recorded_and_their_events_stay_readable(
    fake_services: Services, clock: FixedClock, admin: User, ann: User
) -> None:
    await sign_in_tokens(fake_services)
    clock.advance(minutes=1)

    await fake_services.delete_user.execute(DeleteUserCommand(admin, ann.id, LAPTOP))

    page = await list_events(fake_services, admin, ann.id)
    assert [e.type for e in page.items] == [
        AuditEventType.USER_DELETED,
        AuditEventType.SIGN_IN_SUCCEEDED,
    ]
    assert page.items[0].actor_id == admin.id
    assert page.items[0].at == clock.now()


async def test_a_sign_in_event_carries_the_clients_address_agent_and_request(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    await sign_in_tokens(fake_services, client=PHONE)

    (event,) = await events_of_type(fake_services, AuditEventType.SIGN_IN_SUCCEEDED)
    assert (event.ip, event.user_agent, event.request_id) == (
        PHONE.ip,
        PHONE.user_agent,
        PHONE.request_id,
    )
    assert (event.user_id, event.actor_id, event.at) == (ann.id, ann.id, clock.now())
    assert dict(event.details) == {"method": "password"}
