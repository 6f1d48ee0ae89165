"""Sign-up and sign-in use cases over the in-memory adapters and fakes."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from datetime import UTC, datetime, timedelta

import anyio
import anyio.lowlevel
import pytest

from application.auth.sessions import TokenPair, hash_refresh_token
from application.auth.sign_in import SignInCommand
from application.auth.sign_up import SignUpCommand, SignUpResult
from application.context import ClientInfo
from application.users.create_user import NewUser
from domain.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidInputError,
    TooManyAttemptsError,
)
from domain.users import Email, Role, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.settings import Settings
from tests.fakes import FixedClock, PlainPasswordHasher, SequentialIds

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PASSWORD = "velvet harbor quantum meadow"
WRONG_PASSWORD = "tremendous purple elephant dance"
EMAIL = "ann@example.com"
IP = "203.0.113.7"
OTHER_IP = "198.51.100.9"
FREE_PER_ACCOUNT = 5
FREE_PER_IP = 50


@pytest.fixture
def hasher(fake_services: Services) -> PlainPasswordHasher:
    hasher = fake_services.adapters.hasher
    assert isinstance(hasher, PlainPasswordHasher)
    return hasher


@pytest.fixture
async def ann(fake_services: Services) -> User:
    return await fake_services.user_factory.create(NewUser(EMAIL, PASSWORD, "Ann"))


async def sign_up(
    services: Services, email: str = EMAIL, password: str = PASSWORD, name: str = "Ann"
) -> SignUpResult:
    return await services.sign_up.execute(SignUpCommand(email, password, name))


async def sign_in(
    services: Services, email: str = EMAIL, password: str = PASSWORD, ip: str = IP
) -> TokenPair:
    return await services.sign_in.execute(SignInCommand(email, password, ClientInfo(ip)))


async def fail_sign_in(
    services: Services, email: str = EMAIL, password: str = WRONG_PASSWORD, ip: str = IP
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await sign_in(services, email, password, ip)


async def throttled_for(
    services: Services, email: str = EMAIL, password: str = PASSWORD, ip: str = IP
) -> int:
    with pytest.raises(TooManyAttemptsError) as exc:
        await sign_in(services, email, password, ip)
    return exc.value.retry_after_seconds


# Sign-up


async def test_sign_up_stores_a_user_with_role_user_and_normalized_fields(
    fake_services: Services, clock: FixedClock
) -> None:
    result = await sign_up(fake_services, email="  Ann@Example.COM ", name="  Ann  ")

    stored = await fake_services.adapters.users.get(result.user.id)
    assert stored == result.user
    assert stored.email == Email("ann@example.com")
    assert stored.name == "Ann"
    assert stored.role is Role.USER
    assert (stored.created_at, stored.updated_at) == (clock.now(), clock.now())
    assert (stored.version, stored.token_version) == (1, 1)


async def test_sign_up_stores_the_password_only_as_a_hash(fake_services: Services) -> None:
    result = await sign_up(fake_services)
    assert result.user.password_hash == "plain$" + PASSWORD


async def test_sign_up_signs_the_new_user_in_with_a_new_session_family(
    fake_services: Services, clock: FixedClock
) -> None:
    result = await sign_up(fake_services)

    session = await fake_services.adapters.sessions.get(
        hash_refresh_token(result.tokens.refresh_token)
    )
    assert session is not None
    assert session.user_id == result.user.id
    assert session.is_live(clock.now())
    assert session.expires_at == clock.now() + timedelta(days=14)
    assert session.family_expires_at == clock.now() + timedelta(days=30)
    assert result.tokens.expires_in == 15 * 60


async def test_sign_up_issues_an_access_token_for_the_new_user(
    fake_services: Services, clock: FixedClock
) -> None:
    clock.current = datetime.now(UTC)  # the JWT adapter checks times against the wall clock
    result = await sign_up(fake_services)

    claims = fake_services.adapters.tokens.verify(result.tokens.access_token)
    assert (claims.user_id, claims.role, claims.token_version) == (result.user.id, "user", 1)


async def test_the_refresh_token_is_stored_only_as_its_sha256(fake_services: Services) -> None:
    result = await sign_up(fake_services)
    token = result.tokens.refresh_token

    assert await fake_services.adapters.sessions.get(token) is None
    digest = hashlib.sha256(token.encode()).hexdigest()
    session = await fake_services.adapters.sessions.get(digest)
    assert session is not None
    assert session.token_hash == digest


async def test_signing_up_with_a_taken_email_in_another_case_fails_and_keeps_one_account(
    fake_services: Services,
) -> None:
    first = await sign_up(fake_services)

    with pytest.raises(EmailTakenError):
        await sign_up(fake_services, email=" ANN@example.com", name="Impostor")

    assert await fake_services.adapters.users.get_by_email(Email(EMAIL)) == first.user
    assert len(await fake_services.adapters.users.list_page(10, None)) == 1


async def test_sign_up_with_a_short_password_is_rejected_and_stores_nothing(
    fake_services: Services,
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await sign_up(fake_services, password="too short")

    assert [e.field for e in exc.value.errors] == ["password"]
    assert await fake_services.adapters.users.get_by_email(Email(EMAIL)) is None


async def test_sign_up_rejects_a_long_but_common_password_from_the_shipped_blocklist(
    fake_services: Services,
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await sign_up(fake_services, password="1QAZ2WSX3EDC4RFV")
    assert exc.value.errors[0].code == "common"


async def test_sign_up_rejects_a_password_equal_to_the_email(fake_services: Services) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await sign_up(
            fake_services, email="ann.smith@example.com", password="Ann.Smith@Example.com"
        )
    assert exc.value.errors[0].code == "context"


async def test_sign_up_rejects_a_password_equal_to_the_name(fake_services: Services) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await sign_up(fake_services, name=" Annabel Smithsonian ", password="annabel smithsonian")
    assert exc.value.errors[0].code == "context"


@pytest.mark.parametrize(
    ("email", "name", "field"),
    [("not-an-email", "Ann", "email"), (EMAIL, "   ", "name"), (EMAIL, "A\x00n", "name")],
)
async def test_sign_up_rejects_an_invalid_email_or_name(
    fake_services: Services, email: str, name: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await sign_up(fake_services, email=email, name=name)
    assert [e.field for e in exc.value.errors] == [field]
    assert await fake_services.adapters.users.list_page(10, None) == []


# Sign-in


async def test_the_right_password_signs_in_with_a_new_session_family(
    fake_services: Services, clock: FixedClock
) -> None:
    signed_up = await sign_up(fake_services)

    tokens = await sign_in(fake_services)

    sessions = fake_services.adapters.sessions
    first = await sessions.get(hash_refresh_token(signed_up.tokens.refresh_token))
    second = await sessions.get(hash_refresh_token(tokens.refresh_token))
    assert first is not None
    assert second is not None
    assert second.user_id == signed_up.user.id
    assert second.family_id != first.family_id
    assert second.is_live(clock.now())
    assert first.is_live(clock.now())


async def test_sign_in_accepts_the_email_in_any_case_and_with_spaces(
    fake_services: Services, ann: User
) -> None:
    tokens = await sign_in(fake_services, email="  ANN@Example.com ")
    session = await fake_services.adapters.sessions.get(hash_refresh_token(tokens.refresh_token))
    assert session is not None
    assert session.user_id == ann.id


async def test_a_wrong_password_is_rejected_after_one_real_verification(
    fake_services: Services, ann: User, hasher: PlainPasswordHasher
) -> None:
    with pytest.raises(InvalidCredentialsError) as exc:
        await sign_in(fake_services, password=WRONG_PASSWORD)

    assert exc.value.message == "The email or password is incorrect."
    assert (hasher.verifications, hasher.dummy_verifications) == (1, 0)


async def test_an_unknown_email_fails_like_a_wrong_password_after_a_dummy_verification(
    fake_services: Services, ann: User, hasher: PlainPasswordHasher
) -> None:
    with pytest.raises(InvalidCredentialsError) as wrong_password:
        await sign_in(fake_services, password=WRONG_PASSWORD)
    with pytest.raises(InvalidCredentialsError) as unknown_email:
        await sign_in(fake_services, email="nobody@example.com")

    assert type(unknown_email.value) is type(wrong_password.value)
    assert unknown_email.value.message == wrong_password.value.message
    assert (hasher.verifications, hasher.dummy_verifications) == (1, 1)


async def test_a_malformed_email_also_costs_a_dummy_verification(
    fake_services: Services, hasher: PlainPasswordHasher
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await sign_in(fake_services, email="not an email")
    assert (hasher.verifications, hasher.dummy_verifications) == (0, 1)


async def test_a_failed_sign_in_is_logged_without_the_email(
    fake_services: Services, ann: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="auth.sign_in")

    await fail_sign_in(fake_services, email="Ann@Example.com")
    await fail_sign_in(fake_services, email="secret.person@example.com")

    records = [r for r in caplog.records if r.name == "auth.sign_in"]
    assert [getattr(r, "outcome", None) for r in records] == ["failure", "failure"]
    assert [getattr(r, "user_id", None) for r in records] == [ann.id, None]
    assert all(getattr(r, "client_ip", None) == IP for r in records)
    for record in records:
        logged = " ".join(str(value) for value in vars(record).values()).lower()
        assert "ann@example.com" not in logged
        assert "secret.person" not in logged
        assert WRONG_PASSWORD not in logged


# Throttling per account


async def test_five_failures_are_free_and_the_sixth_attempt_must_wait_a_second(
    fake_services: Services, ann: User, hasher: PlainPasswordHasher
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)

    assert await throttled_for(fake_services) == 1
    assert hasher.verifications == FREE_PER_ACCOUNT  # the throttled attempt checked nothing


async def test_account_throttling_follows_the_account_across_ips(
    fake_services: Services, ann: User
) -> None:
    for n in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services, ip=f"10.0.0.{n}")

    assert await throttled_for(fake_services, ip="10.0.0.99") == 1


async def test_account_throttling_keys_the_normalized_email(
    fake_services: Services, ann: User
) -> None:
    for email in ["ann@example.com", "ANN@example.com", " Ann@Example.com", "ann@EXAMPLE.COM "]:
        await fail_sign_in(fake_services, email=email)
    await fail_sign_in(fake_services, email="aNN@example.com")

    assert await throttled_for(fake_services, email="ann@example.com") == 1


async def test_account_throttling_leaves_other_accounts_alone(
    fake_services: Services, ann: User
) -> None:
    await fake_services.user_factory.create(NewUser("bob@example.com", PASSWORD, "Bob"))
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)

    await sign_in(fake_services, email="bob@example.com")


async def test_unknown_accounts_are_throttled_like_known_ones(fake_services: Services) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services, email="nobody@example.com")

    assert await throttled_for(fake_services, email="nobody@example.com") == 1


async def test_the_wait_doubles_with_each_further_failure(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)

    waits = []
    for _ in range(5):
        wait = await throttled_for(fake_services)
        waits.append(wait)
        clock.advance(seconds=wait)
        await fail_sign_in(fake_services)

    assert waits == [1, 2, 4, 8, 16]
    assert await throttled_for(fake_services) == 32


async def test_the_wait_left_is_reported_as_time_passes(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)
    clock.advance(seconds=1)
    await fail_sign_in(fake_services)
    assert await throttled_for(fake_services) == 2

    clock.advance(seconds=1.5)

    assert await throttled_for(fake_services) == 1


async def test_a_throttled_attempt_is_not_counted_as_a_failure(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)

    waits = [await throttled_for(fake_services, password=WRONG_PASSWORD) for _ in range(10)]

    assert waits == [1] * 10
    clock.advance(seconds=1)
    await sign_in(fake_services)


async def test_the_real_user_signs_in_once_the_delay_has_passed(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)

    clock.advance(seconds=1)
    tokens = await sign_in(fake_services)

    assert tokens.refresh_token


async def test_the_wait_is_capped_so_an_attacker_cannot_lock_the_account(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)
    waits = []
    for _ in range(10):
        wait = await throttled_for(fake_services)
        waits.append(wait)
        clock.advance(seconds=wait)
        await fail_sign_in(fake_services)

    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert await throttled_for(fake_services) == 15 * 60  # 1024 s, capped
    clock.advance(minutes=15)
    await sign_in(fake_services)


async def test_a_successful_sign_in_clears_the_account_counter(
    fake_services: Services, ann: User
) -> None:
    for _ in range(FREE_PER_ACCOUNT - 1):
        await fail_sign_in(fake_services)
    await sign_in(fake_services)

    for _ in range(FREE_PER_ACCOUNT):  # five fresh free attempts, not one
        await fail_sign_in(fake_services)
    assert await throttled_for(fake_services) == 1


async def test_failures_are_forgotten_after_the_window(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        await fail_sign_in(fake_services)

    clock.advance(minutes=15)

    for _ in range(FREE_PER_ACCOUNT):  # the counter starts again at one
        await fail_sign_in(fake_services)
    assert await throttled_for(fake_services) == 1


# Throttling per IP


async def test_fifty_failures_from_one_ip_throttle_that_ip_for_every_account(
    fake_services: Services, ann: User
) -> None:
    for n in range(FREE_PER_IP):
        await fail_sign_in(fake_services, email=f"guess{n}@example.com")

    assert await throttled_for(fake_services, email=EMAIL, password=PASSWORD) == 1
    await sign_in(fake_services, ip=OTHER_IP)


async def test_a_successful_sign_in_does_not_clear_the_ip_counter(
    fake_services: Services, ann: User
) -> None:
    for n in range(FREE_PER_IP - 1):
        await fail_sign_in(fake_services, email=f"guess{n}@example.com")
    await sign_in(fake_services)
    await fail_sign_in(fake_services, email="one-more@example.com")

    assert await throttled_for(fake_services, email="fresh@example.com") == 1


async def test_the_ip_wait_also_grows_and_is_forgotten_after_the_window(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    for n in range(FREE_PER_IP):
        await fail_sign_in(fake_services, email=f"guess{n}@example.com")
    clock.advance(seconds=await throttled_for(fake_services, email="x@example.com"))
    await fail_sign_in(fake_services, email="late@example.com")
    assert await throttled_for(fake_services, email="y@example.com") == 2

    clock.advance(minutes=15)

    await sign_in(fake_services)


# Re-hashing weak hashes


async def _store_user_with_hash(services: Services, clock: FixedClock, password_hash: str) -> User:
    user = User(
        id="legacy1",
        email=Email(EMAIL),
        name="Ann",
        role=Role.USER,
        password_hash=password_hash,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    await services.adapters.users.add(user)
    return user


async def test_a_weak_hash_is_upgraded_on_a_successful_sign_in(
    fake_services: Services, clock: FixedClock
) -> None:
    await _store_user_with_hash(fake_services, clock, "weak$" + PASSWORD)
    clock.advance(minutes=1)

    await sign_in(fake_services)

    stored = await fake_services.adapters.users.get("legacy1")
    assert stored is not None
    assert stored.password_hash == "plain$" + PASSWORD
    assert (stored.version, stored.updated_at, stored.token_version) == (2, clock.now(), 1)
    await sign_in(fake_services)  # the upgraded hash verifies


async def test_a_weak_hash_is_kept_after_a_failed_sign_in(
    fake_services: Services, clock: FixedClock
) -> None:
    await _store_user_with_hash(fake_services, clock, "weak$" + PASSWORD)

    await fail_sign_in(fake_services)

    stored = await fake_services.adapters.users.get("legacy1")
    assert stored is not None
    assert (stored.password_hash, stored.version) == ("weak$" + PASSWORD, 1)


async def test_a_current_hash_is_not_rewritten_on_sign_in(
    fake_services: Services, ann: User
) -> None:
    await sign_in(fake_services)

    assert await fake_services.adapters.users.get(ann.id) == ann


# Concurrency


class SlowPlainPasswordHasher(PlainPasswordHasher):
    """Verification yields to the event loop, as argon2 in its thread pool does."""

    async def verify(self, password_hash: str, password: str) -> bool:
        await anyio.lowlevel.checkpoint()
        return await super().verify(password_hash, password)


async def test_a_burst_of_concurrent_guesses_gets_no_more_than_the_free_attempts(
    settings: Settings, clock: FixedClock
) -> None:
    hasher = SlowPlainPasswordHasher()
    services = build_services(settings, clock=clock, ids=SequentialIds(), hasher=hasher)
    await services.user_factory.create(NewUser(EMAIL, PASSWORD, "Ann"))

    async def guess(n: int) -> None:
        with contextlib.suppress(InvalidCredentialsError, TooManyAttemptsError):
            await sign_in(services, password=f"{WRONG_PASSWORD} {n}", ip=f"10.0.1.{n}")

    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(guess, n)

    assert hasher.verifications <= FREE_PER_ACCOUNT
