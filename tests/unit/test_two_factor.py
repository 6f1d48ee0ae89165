"""Two-factor sign-in with an authenticator app (TOTP) and backup codes: enrolling,
confirming, the challenged sign-in, replay and throttling of codes, disabling, and the
verified-email requirement of sign-in."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.memory.users import InMemoryUserRepository
from adapters.security.totp import PyOtpOneTimePasswords
from application.auth.password_reset import (
    ConfirmPasswordResetCommand,
    RequestPasswordResetCommand,
)
from application.auth.sessions import TokenPair
from application.auth.sign_in import TwoFactorChallenge
from application.auth.sign_in_two_factor import TwoFactorSignInCommand
from application.auth.verify_email import VerifyEmailCommand
from application.sessions.list_sessions import ListSessionsQuery
from application.two_factor.confirm import ConfirmTwoFactorCommand
from application.two_factor.disable import DisableTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactorCommand
from application.users.change_password import ChangePasswordCommand, with_new_password
from domain.audit import AuditEventType
from domain.errors import (
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidTokenError,
    TooManyAttemptsError,
    TwoFactorStateError,
)
from domain.users import Email, User
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.unit.lifecycle_helpers import (
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    TOTP_STEP_SECONDS,
    TwoFactorUser,
    enable_two_factor,
    events_of_type,
    fresh,
    interleaving_services,
    make_user,
    reset_token,
    services_with,
    settings_with,
    sign_in,
    sign_in_challenge,
    sign_in_tokens,
    sign_up,
    totp_code,
    wrong_totp_code,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PRODUCT = "Serverless Auth"  # the settings' default PRODUCT_NAME
CHALLENGE_TTL_SECONDS = 300
FREE_CODE_ATTEMPTS = 5
BACKUP_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$")


@pytest.fixture
async def ann(fake_services: Services) -> User:
    return await make_user(fake_services, verified=True)


@pytest.fixture
async def ann_2fa(fake_services: Services, clock: FixedClock, ann: User) -> TwoFactorUser:
    return await enable_two_factor(fake_services, clock, ann)


def test_the_services_use_the_real_pyotp_adapter(fake_services: Services) -> None:
    assert isinstance(fake_services.adapters.otp, PyOtpOneTimePasswords)


async def enroll(services: Services, user: User, password: str = PASSWORD) -> str:
    enrollment = await services.enroll_two_factor.execute(
        EnrollTwoFactorCommand(await fresh(services, user), password)
    )
    return enrollment.secret


async def confirm(services: Services, user: User, code: str) -> list[str]:
    return await services.confirm_two_factor.execute(
        ConfirmTwoFactorCommand(await fresh(services, user), code)
    )


async def complete(services: Services, challenge: str, code: str) -> TokenPair:
    return await services.sign_in_two_factor.execute(TwoFactorSignInCommand(challenge, code))


async def assert_code_refused(services: Services, challenge: str, code: str) -> None:
    with pytest.raises(InvalidCodeError):
        await complete(services, challenge, code)


async def disable(services: Services, user: User, password: str, code: str) -> None:
    await services.disable_two_factor.execute(
        DisableTwoFactorCommand(await fresh(services, user), password, code)
    )


# Enrolling


async def test_enrolling_needs_the_right_password(fake_services: Services, ann: User) -> None:
    with pytest.raises(InvalidCredentialsError):
        await enroll(fake_services, ann, NEW_PASSWORD)

    assert (await fresh(fake_services, ann)).totp is None


async def test_enrolling_returns_a_base32_secret_and_an_otpauth_uri_naming_issuer_and_email(
    fake_services: Services, ann: User
) -> None:
    enrollment = await fake_services.enroll_two_factor.execute(
        EnrollTwoFactorCommand(ann, PASSWORD)
    )

    assert len(base64.b32decode(enrollment.secret)) >= 20  # at least 160 bits
    uri = urlsplit(enrollment.provisioning_uri)
    assert enrollment.provisioning_uri.startswith("otpauth://totp/")
    assert unquote(uri.path) == f"/{PRODUCT}:{EMAIL}"
    query = parse_qs(uri.query)
    assert query["secret"] == [enrollment.secret]
    assert query["issuer"] == [PRODUCT]


async def test_an_enrolled_factor_stays_off_until_confirmed(
    fake_services: Services, ann: User
) -> None:
    await enroll(fake_services, ann)

    stored = await fresh(fake_services, ann)
    assert stored.totp is not None
    assert not stored.two_factor_enabled
    await sign_in_tokens(fake_services)  # no challenge while pending


async def test_enrolling_again_while_pending_replaces_the_secret(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    first = await enroll(fake_services, ann)
    second = await enroll(fake_services, ann)
    assert first != second

    with pytest.raises(InvalidInputError):
        await confirm(fake_services, ann, totp_code(first, clock.now()))
    await confirm(fake_services, ann, totp_code(second, clock.now()))


async def test_enrolling_when_two_factor_is_on_is_refused(
    fake_services: Services, ann_2fa: TwoFactorUser
) -> None:
    with pytest.raises(TwoFactorStateError):
        await enroll(fake_services, ann_2fa.user)

    assert (await fresh(fake_services, ann_2fa.user)).totp == ann_2fa.user.totp


# Confirming


async def test_confirming_with_a_wrong_code_is_refused_on_the_code_field(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    secret = await enroll(fake_services, ann)

    with pytest.raises(InvalidInputError) as exc:
        await confirm(fake_services, ann, wrong_totp_code(secret, clock.now()))

    assert [error.field for error in exc.value.errors] == ["code"]
    assert not (await fresh(fake_services, ann)).two_factor_enabled


async def test_confirming_with_the_current_code_turns_it_on_with_ten_backup_codes(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    secret = await enroll(fake_services, ann)

    codes = await confirm(fake_services, ann, totp_code(secret, clock.now()))

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(BACKUP_CODE.match(code) for code in codes), codes
    assert (await fresh(fake_services, ann)).two_factor_enabled
    (event,) = await events_of_type(fake_services, AuditEventType.TWO_FACTOR_ENABLED, ann.id)
    assert event.actor_id == ann.id


async def test_confirming_with_nothing_pending_is_refused(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    with pytest.raises(TwoFactorStateError):
        await confirm(fake_services, ann, "123456")


async def test_confirming_twice_is_refused(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    with pytest.raises(TwoFactorStateError):
        await confirm(fake_services, ann_2fa.user, totp_code(ann_2fa.secret, clock.now()))


# The challenged sign-in


async def test_signing_in_with_two_factor_on_answers_a_challenge_not_tokens(
    fake_services: Services, ann_2fa: TwoFactorUser
) -> None:
    result = await sign_in(fake_services)

    assert isinstance(result, TwoFactorChallenge)
    assert result.expires_in == CHALLENGE_TTL_SECONDS
    assert await fake_services.list_sessions.execute(ListSessionsQuery(ann_2fa.user)) == []
    (event,) = await events_of_type(
        fake_services, AuditEventType.SIGN_IN_CHALLENGED, ann_2fa.user.id
    )
    assert event.user_id == ann_2fa.user.id


async def test_the_current_code_completes_the_sign_in(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)

    tokens = await complete(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))

    assert isinstance(tokens, TokenPair)
    assert len(await fake_services.list_sessions.execute(ListSessionsQuery(ann_2fa.user))) == 1
    (event,) = await events_of_type(
        fake_services, AuditEventType.SIGN_IN_SUCCEEDED, ann_2fa.user.id
    )
    assert dict(event.details) == {"method": "totp"}
    assert event.actor_id == ann_2fa.user.id


async def test_a_code_used_once_is_refused_again_in_the_same_time_step(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    code = totp_code(ann_2fa.secret, clock.now())
    await complete(fake_services, await sign_in_challenge(fake_services), code)

    await assert_code_refused(fake_services, await sign_in_challenge(fake_services), code)


async def test_the_code_used_to_confirm_cannot_complete_a_sign_in(
    fake_services: Services, clock: FixedClock, ann: User
) -> None:
    secret = await enroll(fake_services, ann)
    code = totp_code(secret, clock.now())
    await confirm(fake_services, ann, code)

    await assert_code_refused(fake_services, await sign_in_challenge(fake_services), code)


async def test_the_next_steps_code_works_after_30_seconds(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    await complete(
        fake_services,
        await sign_in_challenge(fake_services),
        totp_code(ann_2fa.secret, clock.now()),
    )
    clock.advance(seconds=TOTP_STEP_SECONDS)

    await complete(
        fake_services,
        await sign_in_challenge(fake_services),
        totp_code(ann_2fa.secret, clock.now()),
    )


async def test_a_code_one_step_before_now_is_accepted(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    clock.advance(seconds=2 * TOTP_STEP_SECONDS)  # the previous step is unused too

    await complete(
        fake_services,
        await sign_in_challenge(fake_services),
        totp_code(ann_2fa.secret, clock.now(), steps=-1),
    )


async def test_a_code_one_step_after_now_is_accepted(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    await complete(
        fake_services,
        await sign_in_challenge(fake_services),
        totp_code(ann_2fa.secret, clock.now(), steps=1),
    )


@pytest.mark.parametrize("steps", [-2, 2, 3])
async def test_a_code_two_or_more_steps_away_is_refused(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser, steps: int
) -> None:
    clock.advance(seconds=3 * TOTP_STEP_SECONDS)  # step -2 was never used either
    code = totp_code(ann_2fa.secret, clock.now(), steps)
    assert code not in {totp_code(ann_2fa.secret, clock.now(), n) for n in (-1, 0, 1)}

    await assert_code_refused(fake_services, await sign_in_challenge(fake_services), code)


async def test_a_used_code_moves_the_window_so_an_older_step_is_refused(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    clock.advance(seconds=TOTP_STEP_SECONDS)
    await complete(
        fake_services,
        await sign_in_challenge(fake_services),
        totp_code(ann_2fa.secret, clock.now()),
    )

    await assert_code_refused(
        fake_services,
        await sign_in_challenge(fake_services),
        totp_code(ann_2fa.secret, clock.now(), steps=-1),
    )


async def test_a_sign_in_after_a_pending_enrollment_is_not_challenged(
    fake_services: Services, ann: User
) -> None:
    await enroll(fake_services, ann)

    assert isinstance(await sign_in(fake_services), TokenPair)


# Backup codes


async def test_a_backup_code_completes_a_sign_in_once(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    code = ann_2fa.backup_codes[0]

    tokens = await complete(fake_services, await sign_in_challenge(fake_services), code)

    assert isinstance(tokens, TokenPair)
    (used,) = await events_of_type(fake_services, AuditEventType.BACKUP_CODE_USED)
    assert dict(used.details) == {"remaining": "9"}
    (succeeded,) = await events_of_type(fake_services, AuditEventType.SIGN_IN_SUCCEEDED)
    assert dict(succeeded.details) == {"method": "backup_code"}
    await assert_code_refused(fake_services, await sign_in_challenge(fake_services), code)


@pytest.mark.parametrize(
    "typed",
    [str.lower, lambda code: code.replace("-", ""), lambda code: f"  {code.lower()} "],
    ids=["lower-case", "without-dashes", "padded"],
)
async def test_a_backup_code_is_accepted_as_typed_by_hand(
    fake_services: Services, ann_2fa: TwoFactorUser, typed: Callable[[str], str]
) -> None:
    code = ann_2fa.backup_codes[3]

    await complete(fake_services, await sign_in_challenge(fake_services), typed(code))

    await assert_code_refused(fake_services, await sign_in_challenge(fake_services), code)


async def test_each_backup_code_counts_down_the_remaining(
    fake_services: Services, ann_2fa: TwoFactorUser
) -> None:
    for code in ann_2fa.backup_codes[:3]:
        await complete(fake_services, await sign_in_challenge(fake_services), code)

    used = await events_of_type(fake_services, AuditEventType.BACKUP_CODE_USED)
    assert sorted(event.details["remaining"] for event in used) == ["7", "8", "9"]


async def test_a_made_up_backup_code_is_refused(
    fake_services: Services, ann_2fa: TwoFactorUser
) -> None:
    await assert_code_refused(
        fake_services, await sign_in_challenge(fake_services), "ABCD-EFGH-JKMN-PQRS"
    )


# The challenge


async def test_a_challenge_works_only_once(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)
    await complete(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))
    clock.advance(seconds=TOTP_STEP_SECONDS)

    await assert_code_refused(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))
    await assert_code_refused(fake_services, challenge, ann_2fa.backup_codes[0])


async def test_a_challenge_works_until_just_before_five_minutes(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)
    clock.advance(seconds=CHALLENGE_TTL_SECONDS - 1)

    await complete(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))


async def test_a_challenge_expires_after_five_minutes(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)
    clock.advance(seconds=CHALLENGE_TTL_SECONDS)

    await assert_code_refused(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))
    await assert_code_refused(fake_services, challenge, ann_2fa.backup_codes[0])


async def test_a_challenge_dies_when_the_password_changes_meanwhile(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)
    # A backup code re-authenticates the change, so the app code below is still unused.
    await fake_services.change_password.execute(
        ChangePasswordCommand(
            await fresh(fake_services, ann_2fa.user),
            PASSWORD,
            NEW_PASSWORD,
            code=ann_2fa.backup_codes[0],
        )
    )

    await assert_code_refused(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))


async def test_a_challenge_dies_with_a_password_reset_which_leaves_two_factor_on(
    fake_services: Services,
    outbox: InMemoryEmailSender,
    clock: FixedClock,
    ann_2fa: TwoFactorUser,
) -> None:
    challenge = await sign_in_challenge(fake_services)
    await fake_services.request_password_reset.execute(RequestPasswordResetCommand(EMAIL))
    await fake_services.confirm_password_reset.execute(
        ConfirmPasswordResetCommand(reset_token(outbox), NEW_PASSWORD)
    )

    await assert_code_refused(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))
    assert (await fresh(fake_services, ann_2fa.user)).two_factor_enabled
    fresh_challenge = await sign_in_challenge(fake_services, password=NEW_PASSWORD)
    await complete(fake_services, fresh_challenge, totp_code(ann_2fa.secret, clock.now()))


async def test_a_challenge_is_no_reset_or_verification_token(
    fake_services: Services, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)

    with pytest.raises(InvalidTokenError):
        await fake_services.confirm_password_reset.execute(
            ConfirmPasswordResetCommand(challenge, NEW_PASSWORD)
        )
    with pytest.raises(InvalidTokenError):
        await fake_services.verify_email.execute(VerifyEmailCommand(challenge))

    with pytest.raises(InvalidCredentialsError):
        await sign_in(fake_services, password=NEW_PASSWORD)  # the password is unchanged
    await complete(fake_services, challenge, ann_2fa.backup_codes[0])  # and it is unspent


async def test_a_reset_token_is_no_challenge(
    fake_services: Services,
    outbox: InMemoryEmailSender,
    clock: FixedClock,
    ann_2fa: TwoFactorUser,
) -> None:
    await fake_services.request_password_reset.execute(RequestPasswordResetCommand(EMAIL))

    await assert_code_refused(
        fake_services, reset_token(outbox), totp_code(ann_2fa.secret, clock.now())
    )

    await fake_services.confirm_password_reset.execute(  # and it stays a usable reset token
        ConfirmPasswordResetCommand(reset_token(outbox), NEW_PASSWORD)
    )


async def test_an_unknown_challenge_is_refused(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    await assert_code_refused(
        fake_services, "no-such-challenge", totp_code(ann_2fa.secret, clock.now())
    )


# Throttling wrong codes


async def test_after_five_wrong_codes_even_a_right_code_waits_for_the_retry_after(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    challenge = await sign_in_challenge(fake_services)
    for _ in range(FREE_CODE_ATTEMPTS):
        await assert_code_refused(
            fake_services, challenge, wrong_totp_code(ann_2fa.secret, clock.now())
        )
    right = totp_code(ann_2fa.secret, clock.now())

    with pytest.raises(TooManyAttemptsError) as exc:
        await complete(fake_services, challenge, right)

    assert exc.value.retry_after_seconds >= 1
    clock.advance(seconds=exc.value.retry_after_seconds)
    await complete(fake_services, challenge, totp_code(ann_2fa.secret, clock.now()))


async def test_wrong_codes_are_throttled_per_account_across_challenges(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    for _ in range(FREE_CODE_ATTEMPTS):
        await assert_code_refused(
            fake_services,
            await sign_in_challenge(fake_services),
            wrong_totp_code(ann_2fa.secret, clock.now()),
        )

    with pytest.raises(TooManyAttemptsError):
        await complete(
            fake_services,
            await sign_in_challenge(fake_services),
            totp_code(ann_2fa.secret, clock.now()),
        )


async def test_wrong_codes_are_recorded_in_the_trail(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    await assert_code_refused(
        fake_services,
        await sign_in_challenge(fake_services),
        wrong_totp_code(ann_2fa.secret, clock.now()),
    )

    (event,) = await events_of_type(fake_services, AuditEventType.TWO_FACTOR_FAILED)
    assert event.user_id == ann_2fa.user.id


# Concurrency


@pytest.fixture(params=["sequential", "interleaving"])
async def racing(
    request: pytest.FixtureRequest,
    fake_services: Services,
    settings: Settings,
    clock: FixedClock,
    outbox: InMemoryEmailSender,
) -> tuple[Services, TwoFactorUser]:
    """Ann with two-factor on, in `fake_services` or in services whose stores yield on
    every call so that concurrent requests really interleave."""
    services = fake_services
    if request.param == "interleaving":
        services = interleaving_services(settings, clock, outbox)
    user = await make_user(services, verified=True)
    return services, await enable_two_factor(services, clock, user)


async def test_one_code_completes_only_one_of_two_concurrent_challenges(
    racing: tuple[Services, TwoFactorUser], clock: FixedClock
) -> None:
    services, ann_2fa = racing
    first = await sign_in_challenge(services)
    second = await sign_in_challenge(services)
    code = totp_code(ann_2fa.secret, clock.now())

    results = await asyncio.gather(
        complete(services, first, code),
        complete(services, second, code),
        return_exceptions=True,
    )

    pairs = [r for r in results if isinstance(r, TokenPair)]
    refusals = [r for r in results if isinstance(r, InvalidCodeError)]
    assert (len(pairs), len(refusals)) == (1, 1), results


async def test_one_backup_code_completes_only_one_of_two_concurrent_challenges(
    racing: tuple[Services, TwoFactorUser],
) -> None:
    services, ann_2fa = racing
    first = await sign_in_challenge(services)
    second = await sign_in_challenge(services)
    code = ann_2fa.backup_codes[0]

    results = await asyncio.gather(
        complete(services, first, code),
        complete(services, second, code),
        return_exceptions=True,
    )

    pairs = [r for r in results if isinstance(r, TokenPair)]
    refusals = [r for r in results if isinstance(r, InvalidCodeError)]
    assert (len(pairs), len(refusals)) == (1, 1), results
    assert len(await events_of_type(services, AuditEventType.BACKUP_CODE_USED)) == 1


async def test_one_challenge_completed_concurrently_with_two_codes_yields_one_pair(
    racing: tuple[Services, TwoFactorUser], clock: FixedClock
) -> None:
    services, ann_2fa = racing
    challenge = await sign_in_challenge(services)

    results = await asyncio.gather(
        complete(services, challenge, totp_code(ann_2fa.secret, clock.now())),
        complete(services, challenge, ann_2fa.backup_codes[0]),
        return_exceptions=True,
    )

    pairs = [r for r in results if isinstance(r, TokenPair)]
    refusals = [r for r in results if isinstance(r, InvalidCodeError)]
    assert (len(pairs), len(refusals)) == (1, 1), results


async def test_a_backup_code_is_spent_only_by_the_sign_in_it_completes(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    services = interleaving_services(settings, clock, outbox)
    user = await make_user(services, verified=True)
    ann_2fa = await enable_two_factor(services, clock, user)
    challenge = await sign_in_challenge(services)

    results = await asyncio.gather(
        complete(services, challenge, totp_code(ann_2fa.secret, clock.now())),
        complete(services, challenge, ann_2fa.backup_codes[0]),
        return_exceptions=True,
    )

    assert len([r for r in results if isinstance(r, TokenPair)]) == 1, results
    factor = (await fresh(services, user)).totp
    assert factor is not None
    spent = len(ann_2fa.backup_codes) - len(factor.backup_code_hashes)
    recorded = len(await events_of_type(services, AuditEventType.BACKUP_CODE_USED))
    assert spent == recorded


class PasswordChangedDuringRead(InMemoryUserRepository):
    """Users whose next `get` answers the user as read, then lets a password change
    commit before the reader writes: a concurrent request winning the race."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__()
        self._clock = clock
        self.armed = False

    async def get(self, user_id: str) -> User | None:
        user = await super().get(user_id)
        if self.armed and user is not None:
            self.armed = False
            changed = with_new_password(user, "plain$" + NEW_PASSWORD, self._clock.now())
            await super().update(changed, expected_version=user.version)
        return user


async def test_a_challenge_dies_with_a_password_change_that_commits_during_completion(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    users = PasswordChangedDuringRead(clock)
    services = services_with(settings, clock, outbox, users=users)
    ann_2fa = await enable_two_factor(services, clock, await make_user(services, verified=True))
    challenge = await sign_in_challenge(services)
    users.armed = True

    with pytest.raises(InvalidCodeError):
        await complete(services, challenge, totp_code(ann_2fa.secret, clock.now()))

    assert not users.armed  # the password did change in between


# Disabling


async def test_disabling_with_a_wrong_password_is_refused_and_changes_nothing(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await disable(
            fake_services, ann_2fa.user, NEW_PASSWORD, totp_code(ann_2fa.secret, clock.now())
        )

    assert (await fresh(fake_services, ann_2fa.user)).two_factor_enabled
    assert isinstance(await sign_in(fake_services), TwoFactorChallenge)


async def test_disabling_with_a_wrong_code_is_refused_and_changes_nothing(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    # The same refusal as a wrong password: which of the two was wrong stays unsaid.
    with pytest.raises(InvalidCredentialsError, match="password or the code"):
        await disable(
            fake_services, ann_2fa.user, PASSWORD, wrong_totp_code(ann_2fa.secret, clock.now())
        )

    assert (await fresh(fake_services, ann_2fa.user)).two_factor_enabled
    assert isinstance(await sign_in(fake_services), TwoFactorChallenge)


async def test_disabling_with_password_and_code_turns_it_off(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    await disable(fake_services, ann_2fa.user, PASSWORD, totp_code(ann_2fa.secret, clock.now()))

    stored = await fresh(fake_services, ann_2fa.user)
    assert not stored.two_factor_enabled
    assert stored.totp is None
    assert isinstance(await sign_in(fake_services), TokenPair)
    (event,) = await events_of_type(fake_services, AuditEventType.TWO_FACTOR_DISABLED)
    assert event.actor_id == ann_2fa.user.id


async def test_disabling_with_a_backup_code_works(
    fake_services: Services, ann_2fa: TwoFactorUser
) -> None:
    await disable(fake_services, ann_2fa.user, PASSWORD, ann_2fa.backup_codes[0])

    assert not (await fresh(fake_services, ann_2fa.user)).two_factor_enabled


async def test_disabling_with_an_already_used_code_is_refused(
    fake_services: Services, clock: FixedClock, ann_2fa: TwoFactorUser
) -> None:
    code = totp_code(ann_2fa.secret, clock.now())
    await complete(fake_services, await sign_in_challenge(fake_services), code)

    with pytest.raises(InvalidCredentialsError):
        await disable(fake_services, ann_2fa.user, PASSWORD, code)

    assert (await fresh(fake_services, ann_2fa.user)).two_factor_enabled


async def test_disabling_when_two_factor_is_off_is_refused(
    fake_services: Services, ann: User
) -> None:
    with pytest.raises(TwoFactorStateError):
        await disable(fake_services, ann, PASSWORD, "123456")


async def test_a_pending_enrollment_is_abandoned_with_the_password_alone(
    fake_services: Services, ann: User
) -> None:
    await enroll(fake_services, ann)

    await disable(fake_services, ann, PASSWORD, "anything at all")

    assert (await fresh(fake_services, ann)).totp is None
    assert await events_of_type(fake_services, AuditEventType.TWO_FACTOR_DISABLED) == []


async def test_abandoning_a_pending_enrollment_still_needs_the_password(
    fake_services: Services, ann: User
) -> None:
    await enroll(fake_services, ann)

    with pytest.raises(InvalidCredentialsError):
        await disable(fake_services, ann, NEW_PASSWORD, "anything at all")

    assert (await fresh(fake_services, ann)).totp is not None


# REQUIRE_VERIFIED_EMAIL


@pytest.fixture
def strict_services(clock: FixedClock, outbox: InMemoryEmailSender) -> Services:
    return services_with(settings_with(REQUIRE_VERIFIED_EMAIL="true"), clock, outbox)


async def test_with_verification_required_an_unverified_user_with_the_right_password_is_refused(
    strict_services: Services,
) -> None:
    await make_user(strict_services, verified=False)

    with pytest.raises(EmailNotVerifiedError):
        await sign_in(strict_services)


async def test_with_verification_required_a_wrong_password_reveals_nothing_about_verification(
    strict_services: Services,
) -> None:
    await make_user(strict_services, verified=False)

    with pytest.raises(InvalidCredentialsError):
        await sign_in(strict_services, password=NEW_PASSWORD)
    with pytest.raises(InvalidCredentialsError):
        await sign_in(strict_services, email="nobody@example.com")


async def test_with_verification_required_a_verified_user_signs_in(
    strict_services: Services,
) -> None:
    await make_user(strict_services, verified=True)

    assert isinstance(await sign_in(strict_services), TokenPair)


async def test_with_verification_required_sign_up_does_not_sign_the_unverified_user_in(
    strict_services: Services, outbox: InMemoryEmailSender
) -> None:
    with contextlib.suppress(EmailNotVerifiedError):  # one way to refuse the session
        await sign_up(strict_services)

    user = await strict_services.adapters.users.get_by_email(Email(EMAIL))
    assert user is not None  # the account exists
    assert outbox.links(EMAIL)  # and was sent its verification link
    assert await strict_services.list_sessions.execute(ListSessionsQuery(user)) == []
