"""Limits on what one client can make the service do for it: mail sent per address and
per account, accounts opened per client network, and no hashing for sign-ups that
cannot succeed; and keyed pseudonyms for what clients typed (SECURITY.md)."""

from __future__ import annotations

import hashlib

import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.memory.throttles import InMemoryThrottleRepository
from adapters.security.pseudonyms import HmacPseudonyms
from application.auth.password_reset import RequestPasswordResetCommand
from application.auth.sign_in import SignInCommand
from application.auth.sign_up import SignUpCommand
from application.auth.verify_email import ResendVerificationCommand
from application.context import ClientInfo
from application.users.update_user import UpdateUserCommand
from domain.audit import AuditEventType
from domain.errors import EmailTakenError, InvalidCredentialsError, TooManyAttemptsError
from domain.users import User
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.fakes import FixedClock, PlainPasswordHasher
from tests.unit.lifecycle_helpers import (
    EMAIL,
    LAPTOP,
    PASSWORD,
    events_of_type,
    fresh,
    make_user,
    services_with,
    settings_with,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

VICTIM = "victim@example.com"
ATTACKER = "attacker@example.com"


class CountingHasher(PlainPasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.hashes = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return await super().hash(password)


# Mail per address and per account


async def change_own_email(services: Services, user: User, address: str) -> User:
    user = await fresh(services, user)
    return await services.update_user.execute(
        UpdateUserCommand(
            user, user.id, user.version, email=address, current_password=PASSWORD, client=LAPTOP
        )
    )


async def test_email_changes_cannot_bomb_an_address(
    fake_services: Services, outbox: InMemoryEmailSender
) -> None:
    """Toggling between the victim's address and one's own mails the victim every time
    (a verification link, then the notice that the address was left)."""
    user = await make_user(fake_services, ATTACKER, verified=True)
    for n in range(5):
        await change_own_email(fake_services, user, VICTIM if n % 2 == 0 else ATTACKER)

    with pytest.raises(TooManyAttemptsError) as refused:
        await change_own_email(fake_services, user, ATTACKER)

    assert refused.value.retry_after_seconds >= 1
    assert len(outbox.sent_to(VICTIM)) == 5  # EMAILS_PER_ADDRESS_PER_HOUR
    # Refused whole: the address did not change without its mail.
    assert (await fresh(fake_services, user)).email.value == VICTIM


async def test_the_limits_are_per_hour_and_come_back(
    fake_services: Services, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    user = await make_user(fake_services, ATTACKER, verified=True)
    for n in range(5):
        await change_own_email(fake_services, user, VICTIM if n % 2 == 0 else ATTACKER)
    with pytest.raises(TooManyAttemptsError):
        await change_own_email(fake_services, user, ATTACKER)

    clock.advance(hours=1)
    await change_own_email(fake_services, user, ATTACKER)


async def test_every_kind_of_mail_counts_against_the_account(
    clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    services = services_with(
        settings_with(EMAILS_PER_ACCOUNT_PER_HOUR="3", EMAILS_PER_ADDRESS_PER_HOUR="50"),
        clock,
        outbox,
    )
    user = await make_user(services, EMAIL)
    # Requests for links from ever-new networks (within the per-address request limit).
    for n in range(3):
        client = ClientInfo(f"198.51.100.{n}")
        await services.request_password_reset.execute(RequestPasswordResetCommand(EMAIL, client))
        await services.resend_verification.execute(ResendVerificationCommand(EMAIL, client))

    assert len(outbox.sent_to(EMAIL)) == 3
    assert (await fresh(services, user)).email.value == EMAIL


# Sign-up


async def test_one_client_network_can_open_only_so_many_accounts(
    clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    services = services_with(settings_with(SIGN_UPS_PER_CLIENT_PER_HOUR="3"), clock, outbox)
    client = ClientInfo("2001:db8:aa:bb::1")
    for n in range(3):
        await services.sign_up.execute(SignUpCommand(f"u{n}@example.com", PASSWORD, "U", client))

    # Another address of the same IPv6 /64 is the same client.
    neighbour = ClientInfo("2001:db8:aa:bb:1:2:3:4")
    with pytest.raises(TooManyAttemptsError):
        await services.sign_up.execute(SignUpCommand("u9@example.com", PASSWORD, "U", neighbour))
    other = ClientInfo("2001:db8:aa:bc::1")
    await services.sign_up.execute(SignUpCommand("u9@example.com", PASSWORD, "U", other))
    clock.advance(hours=1)
    await services.sign_up.execute(SignUpCommand("u10@example.com", PASSWORD, "U", client))


async def test_a_sign_up_of_a_taken_address_does_not_hash(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    hasher = CountingHasher()
    services = services_with(settings, clock, outbox, hasher=hasher)
    await make_user(services, EMAIL)
    hashes = hasher.hashes

    for n in range(10):
        with pytest.raises(EmailTakenError):
            await services.sign_up.execute(
                SignUpCommand(EMAIL, PASSWORD, "Ann", ClientInfo(f"198.51.100.{n}"))
            )

    assert hasher.hashes == hashes


# Keyed pseudonyms


async def test_stored_identifiers_of_what_clients_typed_are_keyed(
    clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    """A password typed into the email field, or a guessed address, is never stored in
    a form that can be checked offline: neither as is nor as a bare hash."""
    throttles = InMemoryThrottleRepository()
    key = b"k" * 32
    services = services_with(
        settings_with(), clock, outbox, throttles=throttles, pseudonyms=HmacPseudonyms(key)
    )
    typed = "correct horse battery staple"  # a password, in the email field
    with pytest.raises(InvalidCredentialsError):
        await services.sign_in.execute(SignInCommand(typed, PASSWORD, LAPTOP))
    with pytest.raises(InvalidCredentialsError):
        await services.sign_in.execute(SignInCommand(VICTIM, PASSWORD, LAPTOP))
    await services.request_password_reset.execute(RequestPasswordResetCommand(VICTIM, LAPTOP))

    stored = " ".join(throttles._states)
    (first, second) = await events_of_type(services, AuditEventType.SIGN_IN_FAILED)
    stored += f" {first.user_id} {second.user_id}"
    for value in (typed, VICTIM):
        assert value not in stored
        assert hashlib.sha256(value.encode()).hexdigest()[:24] not in stored
    # The same address gets the same pseudonym (an admin can still see repeats) ...
    assert HmacPseudonyms(key).of("email", VICTIM)[:24] in first.user_id + second.user_id
    # ... which a different key would not give.
    assert HmacPseudonyms(b"x" * 32).of("email", VICTIM)[:24] not in stored


def test_pseudonyms_need_a_key_of_256_bits() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        HmacPseudonyms(b"short")
    keyed = HmacPseudonyms(b"k" * 32)
    assert keyed.of("email", "a") != keyed.of("other", "a")
    assert keyed.of("a", "b\x00c") != keyed.of("a\x00b", "c")
