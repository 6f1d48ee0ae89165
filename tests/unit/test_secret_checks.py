"""Every check of a secret by a caller whose account is known shares one throttle per
account and one per client network, and every failure is audited: a stolen access
token is no password oracle (SECURITY.md, "Credential changes and re-authentication")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from adapters.email.memory import InMemoryEmailSender
from application.auth.sign_in_two_factor import TwoFactorSignInCommand
from application.context import ClientInfo
from application.two_factor.confirm import ConfirmTwoFactorCommand
from application.two_factor.disable import DisableTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactorCommand
from application.users.change_password import ChangePasswordCommand
from application.users.delete_user import DeleteUserCommand
from application.users.update_user import UpdateUserCommand
from domain.audit import AuditEventType
from domain.errors import (
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    TooManyAttemptsError,
)
from domain.users import User
from entrypoints.bootstrap import Services
from tests.fakes import FixedClock
from tests.unit.lifecycle_helpers import (
    LAPTOP,
    NEW_PASSWORD,
    PASSWORD,
    enable_two_factor,
    events_of_type,
    fresh,
    make_user,
    sign_in_challenge,
    totp_code,
    wrong_totp_code,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

WRONG = "not the password of this account"
FREE_PER_ACCOUNT = 5
FREE_PER_CLIENT = 20

Attempt = Callable[[Services, User, str], Awaitable[object]]


async def change_password(services: Services, user: User, password: str) -> object:
    return await services.change_password.execute(
        ChangePasswordCommand(await fresh(services, user), password, NEW_PASSWORD, LAPTOP)
    )


async def change_email(services: Services, user: User, password: str) -> object:
    user = await fresh(services, user)
    return await services.update_user.execute(
        UpdateUserCommand(
            user,
            user.id,
            user.version,
            email="ann.new@example.com",
            current_password=password,
            client=LAPTOP,
        )
    )


async def delete_account(services: Services, user: User, password: str) -> object:
    return await services.delete_user.execute(
        DeleteUserCommand(await fresh(services, user), user.id, LAPTOP, current_password=password)
    )


async def enroll_two_factor(services: Services, user: User, password: str) -> object:
    return await services.enroll_two_factor.execute(
        EnrollTwoFactorCommand(await fresh(services, user), password, LAPTOP)
    )


OPERATIONS: dict[str, Attempt] = {
    "change_password": change_password,
    "change_email": change_email,
    "delete_account": delete_account,
    "enroll_two_factor": enroll_two_factor,
}


@pytest.fixture
async def ann(fake_services: Services) -> User:
    return await make_user(fake_services, verified=True)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_wrong_passwords_are_throttled_and_audited(
    fake_services: Services, ann: User, operation: str
) -> None:
    attempt = OPERATIONS[operation]
    for _ in range(FREE_PER_ACCOUNT):
        with pytest.raises(InvalidCredentialsError):
            await attempt(fake_services, ann, WRONG)

    with pytest.raises(TooManyAttemptsError) as throttled:
        await attempt(fake_services, ann, PASSWORD)  # even the right one must wait

    assert throttled.value.retry_after_seconds >= 1
    failures = await events_of_type(fake_services, AuditEventType.REAUTHENTICATION_FAILED)
    assert len(failures) == FREE_PER_ACCOUNT
    assert {event.details["operation"] for event in failures} == {operation}
    assert {event.ip for event in failures} == {LAPTOP.ip}


async def test_spreading_guesses_over_operations_gains_nothing(
    fake_services: Services, ann: User
) -> None:
    attempts = [change_password, change_email, delete_account, enroll_two_factor, change_email]
    for attempt in attempts:
        with pytest.raises(InvalidCredentialsError):
            await attempt(fake_services, ann, WRONG)

    with pytest.raises(TooManyAttemptsError):
        await change_password(fake_services, ann, PASSWORD)


async def test_the_budget_waits_then_lets_the_owner_in(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    for _ in range(FREE_PER_ACCOUNT):
        with pytest.raises(InvalidCredentialsError):
            await change_password(fake_services, ann, WRONG)
    with pytest.raises(TooManyAttemptsError) as throttled:
        await change_password(fake_services, ann, PASSWORD)

    clock.advance(seconds=throttled.value.retry_after_seconds)
    await change_password(fake_services, ann, PASSWORD)


async def test_a_right_password_starts_the_count_again(fake_services: Services, ann: User) -> None:
    for _ in range(FREE_PER_ACCOUNT - 1):
        with pytest.raises(InvalidCredentialsError):
            await enroll_two_factor(fake_services, ann, WRONG)
    await enroll_two_factor(fake_services, ann, PASSWORD)

    for _ in range(FREE_PER_ACCOUNT):
        with pytest.raises(InvalidCredentialsError):
            await change_email(fake_services, ann, WRONG)


async def test_one_client_network_guessing_at_many_accounts_is_throttled(
    fake_services: Services,
) -> None:
    users = [
        await make_user(fake_services, f"user{n}@example.com", verified=True) for n in range(6)
    ]
    # An IPv6 client holds a whole /64: rotating addresses inside it changes nothing.
    clients = [ClientInfo(f"2001:db8:1:2::{n:x}") for n in range(FREE_PER_CLIENT)]
    for n, client in enumerate(clients):
        user = users[n % len(users)]
        with pytest.raises(InvalidCredentialsError):
            await fake_services.change_password.execute(
                ChangePasswordCommand(await fresh(fake_services, user), WRONG, NEW_PASSWORD, client)
            )

    fresh_account = await make_user(fake_services, "zoe@example.com", verified=True)
    same_network = ClientInfo("2001:db8:1:2:ffff:ffff:ffff:ffff")
    with pytest.raises(TooManyAttemptsError):
        await fake_services.change_password.execute(
            ChangePasswordCommand(fresh_account, PASSWORD, NEW_PASSWORD, same_network)
        )
    elsewhere = ClientInfo("2001:db8:1:3::1")
    await fake_services.change_password.execute(
        ChangePasswordCommand(fresh_account, PASSWORD, NEW_PASSWORD, elsewhere)
    )


# With two-factor on, re-authentication needs a code too


async def test_with_two_factor_on_a_code_is_required_too(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    two_factor = await enable_two_factor(fake_services, clock, ann)
    user = await fresh(fake_services, ann)

    with pytest.raises(InvalidInputError) as missing:
        await fake_services.delete_user.execute(
            DeleteUserCommand(user, user.id, LAPTOP, current_password=PASSWORD)
        )
    assert missing.value.errors[0].field == "code"
    with pytest.raises(InvalidCredentialsError):
        await fake_services.delete_user.execute(
            DeleteUserCommand(
                user,
                user.id,
                LAPTOP,
                current_password=PASSWORD,
                code=wrong_totp_code(two_factor.secret, clock.now()),
            )
        )
    with pytest.raises(InvalidInputError):
        await change_email(fake_services, ann, PASSWORD)

    code = totp_code(two_factor.secret, clock.now())
    await fake_services.update_user.execute(
        UpdateUserCommand(
            user,
            user.id,
            user.version,
            email="ann.new@example.com",
            current_password=PASSWORD,
            code=code,
            client=LAPTOP,
        )
    )
    # The code is spent: it re-authenticates nothing else.
    with pytest.raises(InvalidCredentialsError):
        await fake_services.change_password.execute(
            ChangePasswordCommand(
                await fresh(fake_services, ann), PASSWORD, NEW_PASSWORD, LAPTOP, code
            )
        )


async def test_second_factor_guesses_share_the_budget_with_password_guesses(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    two_factor = await enable_two_factor(fake_services, clock, ann)
    wrong_code = wrong_totp_code(two_factor.secret, clock.now())
    for _ in range(2):
        with pytest.raises(InvalidCodeError):
            await fake_services.sign_in_two_factor.execute(
                TwoFactorSignInCommand(await sign_in_challenge(fake_services), wrong_code, LAPTOP)
            )
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            await fake_services.disable_two_factor.execute(
                DisableTwoFactorCommand(
                    await fresh(fake_services, ann), PASSWORD, wrong_code, LAPTOP
                )
            )
    with pytest.raises(InvalidCredentialsError):
        await fake_services.change_password.execute(
            ChangePasswordCommand(
                await fresh(fake_services, ann), WRONG, NEW_PASSWORD, LAPTOP, wrong_code
            )
        )

    with pytest.raises(TooManyAttemptsError):
        await fake_services.disable_two_factor.execute(
            DisableTwoFactorCommand(
                await fresh(fake_services, ann),
                PASSWORD,
                totp_code(two_factor.secret, clock.now()),
                LAPTOP,
            )
        )
    sign_in_failures = await events_of_type(fake_services, AuditEventType.TWO_FACTOR_FAILED)
    assert len(sign_in_failures) == 2


async def test_a_wrong_confirmation_code_is_throttled_and_audited(
    fake_services: Services, clock: FixedClock, outbox: InMemoryEmailSender, ann: User
) -> None:
    enrollment = await enroll_two_factor(fake_services, ann, PASSWORD)
    secret = enrollment.secret  # type: ignore[attr-defined]
    for _ in range(FREE_PER_ACCOUNT):
        with pytest.raises(InvalidInputError):
            await fake_services.confirm_two_factor.execute(
                ConfirmTwoFactorCommand(
                    await fresh(fake_services, ann), wrong_totp_code(secret, clock.now()), LAPTOP
                )
            )

    with pytest.raises(TooManyAttemptsError):
        await fake_services.confirm_two_factor.execute(
            ConfirmTwoFactorCommand(
                await fresh(fake_services, ann), totp_code(secret, clock.now()), LAPTOP
            )
        )
    failures = await events_of_type(fake_services, AuditEventType.REAUTHENTICATION_FAILED)
    assert {event.details["operation"] for event in failures} == {"confirm_two_factor"}
