"""Email verification and password reset: the emailed links, their single use, their
expiry, what they are bound to, throttling of the requests, and the answer's pacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import timedelta

import pytest

from adapters.email.memory import InMemoryEmailSender
from application.auth.password_reset import (
    ConfirmPasswordResetCommand,
    RequestPasswordResetCommand,
)
from application.auth.refresh import RefreshCommand
from application.auth.verify_email import ResendVerificationCommand, VerifyEmailCommand
from application.context import ClientInfo
from application.users.change_password import ChangePasswordCommand
from application.users.update_user import UpdateUserCommand
from domain.audit import AuditEventType
from domain.errors import (
    AuthenticationError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidTokenError,
    TooManyAttemptsError,
)
from domain.users import User
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.unit.lifecycle_helpers import (
    EMAIL,
    IP,
    NEW_PASSWORD,
    OTHER_EMAIL,
    PASSWORD,
    PUBLIC_BASE_URL,
    THIRD_PASSWORD,
    audit_types,
    events_of_type,
    fresh,
    interleaving_services,
    links_to,
    make_user,
    reset_token,
    services_with,
    settings_with,
    sign_in,
    sign_in_tokens,
    sign_up,
    use_wall_clock,
    verification_token,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

VERIFICATION_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
FREE_PER_ADDRESS = 3
FREE_PER_IP = 20
FREE_SIGN_INS_PER_ACCOUNT = 5


@pytest.fixture
async def ann(fake_services: Services) -> User:
    """Ann signed up (and was sent one verification link)."""
    return (await sign_up(fake_services)).user


@pytest.fixture
async def known(fake_services: Services) -> User:
    """A verified account that received no email so far."""
    return await make_user(fake_services, verified=True)


async def answer(call: Awaitable[object]) -> object:
    """What a use case answered ("email me a link" answers nothing, for any address)."""
    return await call


async def verify(services: Services, token: str) -> None:
    await services.verify_email.execute(VerifyEmailCommand(token))


async def resend(services: Services, email: str = EMAIL, ip: str = IP) -> None:
    await services.resend_verification.execute(ResendVerificationCommand(email, ClientInfo(ip)))


async def request_reset(services: Services, email: str = EMAIL, ip: str = IP) -> None:
    await services.request_password_reset.execute(
        RequestPasswordResetCommand(email, ClientInfo(ip))
    )


async def confirm_reset(services: Services, token: str, password: str = NEW_PASSWORD) -> None:
    await services.confirm_password_reset.execute(ConfirmPasswordResetCommand(token, password))


async def assert_verify_refused(services: Services, token: str) -> None:
    with pytest.raises(InvalidTokenError):
        await verify(services, token)


async def assert_reset_refused(
    services: Services, token: str, password: str = NEW_PASSWORD
) -> None:
    with pytest.raises(InvalidTokenError):
        await confirm_reset(services, token, password)


# Verification email at sign-up


async def test_sign_up_sends_exactly_one_verification_link_with_the_token_in_the_fragment(
    fake_services: Services, outbox: InMemoryEmailSender
) -> None:
    result = await sign_up(fake_services)

    assert not result.user.email_verified
    assert [message.to for message in outbox.outbox] == [EMAIL]
    links = outbox.links(EMAIL)
    assert len(links) == 1
    assert links[0].startswith(f"{PUBLIC_BASE_URL}/verify-email#token=")
    assert len(verification_token(outbox)) >= 32


async def test_a_delivery_failure_during_sign_up_does_not_fail_the_sign_up(
    fake_services: Services, outbox: InMemoryEmailSender
) -> None:
    outbox.fail_next = 1

    result = await sign_up(fake_services)

    assert result.tokens.refresh_token
    assert outbox.outbox == []
    assert not (await fresh(fake_services, result.user)).email_verified
    await sign_in_tokens(fake_services)  # the account exists and works
    await resend(fake_services)  # and the user can ask for another link
    assert len(links_to(outbox, EMAIL, "verify-email")) == 1


# Verifying


async def test_the_link_marks_the_address_verified_and_records_it(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    await verify(fake_services, verification_token(outbox))

    assert (await fresh(fake_services, ann)).email_verified
    (event,) = await events_of_type(fake_services, AuditEventType.EMAIL_VERIFIED, ann.id)
    assert event.actor_id == ann.id


async def test_a_verification_token_works_only_once(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    token = verification_token(outbox)
    await verify(fake_services, token)

    await assert_verify_refused(fake_services, token)


async def test_a_fresh_token_for_an_already_verified_address_is_harmless_but_reuse_is_not(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    first = verification_token(outbox)
    await resend(fake_services)
    second = verification_token(outbox)
    assert second != first
    await verify(fake_services, first)

    await verify(fake_services, second)  # already verified: fine, nothing more happens

    assert (await fresh(fake_services, ann)).email_verified
    assert len(await events_of_type(fake_services, AuditEventType.EMAIL_VERIFIED)) == 1
    await assert_verify_refused(fake_services, first)
    await assert_verify_refused(fake_services, second)


async def test_a_verification_token_works_until_just_before_24_hours(
    fake_services: Services, outbox: InMemoryEmailSender, clock: FixedClock, ann: User
) -> None:
    clock.advance(seconds=VERIFICATION_TTL.total_seconds() - 1)

    await verify(fake_services, verification_token(outbox))

    assert (await fresh(fake_services, ann)).email_verified


async def test_a_verification_token_older_than_24_hours_is_refused(
    fake_services: Services, outbox: InMemoryEmailSender, clock: FixedClock, ann: User
) -> None:
    clock.advance(seconds=VERIFICATION_TTL.total_seconds() + 1)

    await assert_verify_refused(fake_services, verification_token(outbox))

    assert not (await fresh(fake_services, ann)).email_verified


async def test_an_email_change_unverifies_and_makes_the_old_token_worthless(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    old_token = verification_token(outbox)
    new_email = "ann.new@example.com"

    updated = await fake_services.update_user.execute(
        UpdateUserCommand(ann, ann.id, ann.version, email=new_email, current_password=PASSWORD)
    )

    assert not updated.email_verified
    assert len(links_to(outbox, new_email, "verify-email")) == 1
    await assert_verify_refused(fake_services, old_token)
    assert not (await fresh(fake_services, ann)).email_verified
    await verify(fake_services, verification_token(outbox, new_email))
    stored = await fresh(fake_services, ann)
    assert (stored.email.value, stored.email_verified) == (new_email, True)


async def test_an_email_change_of_a_verified_user_clears_the_verification(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    updated = await fake_services.update_user.execute(
        UpdateUserCommand(
            known,
            known.id,
            known.version,
            email="ann.new@example.com",
            current_password=PASSWORD,
        )
    )

    assert not updated.email_verified
    assert len(links_to(outbox, "ann.new@example.com", "verify-email")) == 1
    assert AuditEventType.EMAIL_CHANGED in await audit_types(fake_services, known.id)


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "x" * 513, "x" * 100_000, "secret-000001-" + "x" * 40],
    ids=["empty", "garbage", "just-too-long", "huge", "never-issued"],
)
async def test_a_token_that_was_never_issued_is_refused(
    fake_services: Services, ann: User, token: str
) -> None:
    await assert_verify_refused(fake_services, token)
    await assert_reset_refused(fake_services, token)


async def test_a_reset_token_does_not_verify_and_a_verification_token_does_not_reset(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    await request_reset(fake_services)

    await assert_verify_refused(fake_services, reset_token(outbox))
    await assert_reset_refused(fake_services, verification_token(outbox))

    assert not (await fresh(fake_services, ann)).email_verified
    await sign_in_tokens(fake_services, password=PASSWORD)


# Resending the verification link


async def test_resend_to_an_unverified_address_sends_a_new_link(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    first = verification_token(outbox)

    assert (
        await answer(fake_services.resend_verification.execute(ResendVerificationCommand(EMAIL)))
        is None
    )

    assert len(links_to(outbox, EMAIL, "verify-email")) == 2
    assert verification_token(outbox) != first
    await verify(fake_services, verification_token(outbox))


async def test_resend_to_an_unknown_or_verified_address_sends_nothing_and_answers_alike(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    unknown = await answer(
        fake_services.resend_verification.execute(ResendVerificationCommand("nobody@example.com"))
    )
    verified = await answer(
        fake_services.resend_verification.execute(ResendVerificationCommand(EMAIL))
    )

    assert (unknown, verified) == (None, None)
    assert outbox.outbox == []


async def test_resend_is_throttled_per_address_after_three_requests(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    for _ in range(FREE_PER_ADDRESS):
        await resend(fake_services)

    with pytest.raises(TooManyAttemptsError) as exc:
        await resend(fake_services)

    assert exc.value.retry_after_seconds >= 1
    assert len(links_to(outbox, EMAIL, "verify-email")) == 1 + FREE_PER_ADDRESS
    await resend(fake_services, OTHER_EMAIL)  # another address is not affected


async def test_resend_throttling_per_address_holds_across_client_addresses(
    fake_services: Services, ann: User
) -> None:
    for n in range(FREE_PER_ADDRESS):
        await resend(fake_services, ip=f"192.0.2.{n}")

    with pytest.raises(TooManyAttemptsError):
        await resend(fake_services, ip="192.0.2.200")


async def test_resend_is_throttled_per_client_ip_after_twenty_requests(
    fake_services: Services,
) -> None:
    for n in range(FREE_PER_IP):
        await resend(fake_services, f"user{n}@example.com")

    with pytest.raises(TooManyAttemptsError) as exc:
        await resend(fake_services, "fresh-address@example.com")

    assert exc.value.retry_after_seconds >= 1
    await resend(fake_services, "fresh-address@example.com", ip="192.0.2.1")


async def test_resend_throttling_lifts_after_the_retry_after(
    fake_services: Services, clock: FixedClock, outbox: InMemoryEmailSender, ann: User
) -> None:
    for _ in range(FREE_PER_ADDRESS):
        await resend(fake_services)
    with pytest.raises(TooManyAttemptsError) as exc:
        await resend(fake_services)

    clock.advance(seconds=exc.value.retry_after_seconds)
    await resend(fake_services)

    assert len(links_to(outbox, EMAIL, "verify-email")) == 2 + FREE_PER_ADDRESS


# Requesting a reset


async def test_a_reset_request_for_a_known_address_sends_one_reset_link_and_records_it(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    result = await answer(
        fake_services.request_password_reset.execute(
            RequestPasswordResetCommand(EMAIL, ClientInfo(IP))
        )
    )

    assert result is None
    links = outbox.links(EMAIL)
    assert len(links) == 1
    assert links[0].startswith(f"{PUBLIC_BASE_URL}/reset-password#token=")
    (event,) = await events_of_type(fake_services, AuditEventType.PASSWORD_RESET_REQUESTED)
    assert (event.user_id, event.ip) == (known.id, IP)


async def test_a_reset_request_for_an_unknown_address_sends_nothing_and_records_nothing(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    result = await answer(
        fake_services.request_password_reset.execute(
            RequestPasswordResetCommand("nobody@example.com", ClientInfo(IP))
        )
    )

    assert result is None
    assert outbox.outbox == []
    assert await events_of_type(fake_services, AuditEventType.PASSWORD_RESET_REQUESTED) == []


async def test_reset_requests_are_throttled_per_address(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    for _ in range(FREE_PER_ADDRESS):
        await request_reset(fake_services)

    with pytest.raises(TooManyAttemptsError):
        await request_reset(fake_services)

    assert len(links_to(outbox, EMAIL, "reset-password")) == FREE_PER_ADDRESS


# Confirming a reset


async def test_a_reset_sets_the_new_password(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)

    await confirm_reset(fake_services, reset_token(outbox))

    await sign_in_tokens(fake_services, password=NEW_PASSWORD)
    with pytest.raises(InvalidCredentialsError):
        await sign_in(fake_services, password=PASSWORD)


async def test_a_reset_ends_every_access_token_issued_before(
    fake_services: Services, outbox: InMemoryEmailSender, clock: FixedClock, known: User
) -> None:
    use_wall_clock(clock)
    before = await sign_in_tokens(fake_services)
    assert (await fake_services.authenticate.execute(before.access_token)).user.id == known.id
    await request_reset(fake_services)

    await confirm_reset(fake_services, reset_token(outbox))

    assert (await fresh(fake_services, known)).token_version == known.token_version + 1
    with pytest.raises(AuthenticationError):
        await fake_services.authenticate.execute(before.access_token)
    after = await sign_in_tokens(fake_services, password=NEW_PASSWORD)
    assert (await fake_services.authenticate.execute(after.access_token)).user.id == known.id


async def test_a_reset_ends_every_refresh_session(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    laptop = await sign_in_tokens(fake_services)
    phone = await sign_in_tokens(fake_services)
    await request_reset(fake_services)

    await confirm_reset(fake_services, reset_token(outbox))

    for pair in (laptop, phone):
        with pytest.raises(AuthenticationError):
            await fake_services.refresh.execute(RefreshCommand(pair.refresh_token))


async def test_a_reset_marks_the_address_verified(
    fake_services: Services, outbox: InMemoryEmailSender, ann: User
) -> None:
    await request_reset(fake_services)

    await confirm_reset(fake_services, reset_token(outbox))

    assert (await fresh(fake_services, ann)).email_verified


async def test_a_reset_lifts_the_accounts_sign_in_throttle(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    for _ in range(FREE_SIGN_INS_PER_ACCOUNT):
        with pytest.raises(InvalidCredentialsError):
            await sign_in(fake_services, password="an attacker's guess, wrong")
    with pytest.raises(TooManyAttemptsError):
        await sign_in(fake_services, password=PASSWORD)
    await request_reset(fake_services)

    await confirm_reset(fake_services, reset_token(outbox))

    await sign_in_tokens(fake_services, password=NEW_PASSWORD)  # at once, no wait


async def test_a_reset_is_recorded_in_the_trail(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)

    await confirm_reset(fake_services, reset_token(outbox))

    (event,) = await events_of_type(fake_services, AuditEventType.PASSWORD_RESET)
    assert event.user_id == known.id


async def test_a_reset_token_works_only_once(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)
    token = reset_token(outbox)
    await confirm_reset(fake_services, token)

    await assert_reset_refused(fake_services, token, THIRD_PASSWORD)

    await sign_in_tokens(fake_services, password=NEW_PASSWORD)


async def test_a_reset_token_dies_with_a_password_change_made_after_it_was_sent(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)
    await fake_services.change_password.execute(
        ChangePasswordCommand(await fresh(fake_services, known), PASSWORD, NEW_PASSWORD)
    )

    await assert_reset_refused(fake_services, reset_token(outbox), THIRD_PASSWORD)

    await sign_in_tokens(fake_services, password=NEW_PASSWORD)


async def test_a_reset_token_dies_with_another_reset(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)
    first = reset_token(outbox)
    await request_reset(fake_services)
    second = reset_token(outbox)
    assert first != second

    await confirm_reset(fake_services, second)

    await assert_reset_refused(fake_services, first, THIRD_PASSWORD)
    await sign_in_tokens(fake_services, password=NEW_PASSWORD)


async def test_a_reset_token_dies_with_an_email_change(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)
    await fake_services.update_user.execute(
        UpdateUserCommand(
            known,
            known.id,
            known.version,
            email="ann.new@example.com",
            current_password=PASSWORD,
        )
    )

    await assert_reset_refused(fake_services, reset_token(outbox))


async def test_a_new_password_breaking_the_policy_is_refused_and_the_token_stays_usable(
    fake_services: Services, outbox: InMemoryEmailSender, known: User
) -> None:
    await request_reset(fake_services)
    token = reset_token(outbox)

    with pytest.raises(InvalidInputError) as exc:
        await confirm_reset(fake_services, token, "short")

    assert [error.field for error in exc.value.errors] == ["new_password"]
    await sign_in_tokens(fake_services, password=PASSWORD)  # nothing changed
    await confirm_reset(fake_services, token, NEW_PASSWORD)
    await sign_in_tokens(fake_services, password=NEW_PASSWORD)


async def test_a_reset_token_works_until_just_before_one_hour(
    fake_services: Services, outbox: InMemoryEmailSender, clock: FixedClock, known: User
) -> None:
    await request_reset(fake_services)
    clock.advance(seconds=RESET_TTL.total_seconds() - 1)

    await confirm_reset(fake_services, reset_token(outbox))


async def test_a_reset_token_older_than_one_hour_is_refused(
    fake_services: Services, outbox: InMemoryEmailSender, clock: FixedClock, known: User
) -> None:
    await request_reset(fake_services)
    clock.advance(seconds=RESET_TTL.total_seconds() + 1)

    await assert_reset_refused(fake_services, reset_token(outbox))

    await sign_in_tokens(fake_services, password=PASSWORD)


@pytest.fixture(params=["sequential", "interleaving"])
def racing_services(
    request: pytest.FixtureRequest,
    fake_services: Services,
    settings: Settings,
    clock: FixedClock,
    outbox: InMemoryEmailSender,
) -> Services:
    """`fake_services`, and services whose stores yield on every call so that concurrent
    requests really interleave."""
    if request.param == "sequential":
        return fake_services
    return interleaving_services(settings, clock, outbox)


async def test_two_concurrent_confirmations_of_one_token_succeed_exactly_once(
    racing_services: Services, outbox: InMemoryEmailSender
) -> None:
    services = racing_services
    await make_user(services, verified=True)
    await request_reset(services)
    token = reset_token(outbox)

    results = await asyncio.gather(
        confirm_reset(services, token, NEW_PASSWORD),
        confirm_reset(services, token, THIRD_PASSWORD),
        return_exceptions=True,
    )

    successes = [r for r in results if r is None]
    refusals = [r for r in results if isinstance(r, InvalidTokenError)]
    assert (len(successes), len(refusals)) == (1, 1), results
    winner = NEW_PASSWORD if results[0] is None else THIRD_PASSWORD
    await sign_in_tokens(services, password=winner)
    assert len(await events_of_type(services, AuditEventType.PASSWORD_RESET)) == 1


async def test_two_concurrent_verifications_with_one_token_verify_once(
    racing_services: Services, outbox: InMemoryEmailSender
) -> None:
    services = racing_services
    await sign_up(services)
    token = verification_token(outbox)

    results = await asyncio.gather(
        verify(services, token), verify(services, token), return_exceptions=True
    )

    assert sorted(type(r).__name__ for r in results) == ["InvalidTokenError", "NoneType"]
    assert len(await events_of_type(services, AuditEventType.EMAIL_VERIFIED)) == 1


# Pacing of "email me a link"


async def test_asking_for_a_link_takes_at_least_the_floor_for_known_and_unknown_addresses(
    clock: FixedClock,
) -> None:
    floor = 0.2
    # asyncio may wake a timer up to its clock resolution early; allow a hair of it.
    slack = 0.002
    outbox = InMemoryEmailSender()
    services = services_with(settings_with(EMAIL_LINK_MIN_RESPONSE_MS="200"), clock, outbox)
    await make_user(services, verified=False)

    timings: dict[str, float] = {}
    for name, email, use_case in [
        ("reset known", EMAIL, "reset"),
        ("reset unknown", "nobody@example.com", "reset"),
        ("resend known", EMAIL, "resend"),
        ("resend unknown", "nobody@example.com", "resend"),
    ]:
        started = time.monotonic()
        if use_case == "reset":
            await request_reset(services, email)
        else:
            await resend(services, email)
        timings[name] = time.monotonic() - started

    assert all(elapsed >= floor - slack for elapsed in timings.values()), timings
    assert len(outbox.outbox) == 2  # the known address got its two links
