"""Shared steps for the account-lifecycle use-case tests: signing up and in through the
use cases, reading links out of the outbox, computing TOTP codes and reading the trail."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import anyio.lowlevel
import pyotp

from adapters.email.memory import InMemoryEmailSender
from adapters.memory.one_time_tokens import InMemoryOneTimeTokenRepository
from adapters.memory.sessions import InMemoryRefreshSessionRepository
from adapters.memory.throttles import InMemoryThrottleRepository
from adapters.memory.users import InMemoryUserRepository
from application.auth.sessions import TokenPair
from application.auth.sign_in import SignInCommand, SignInResult, TwoFactorChallenge
from application.auth.sign_up import SignUpCommand, SignUpResult
from application.context import NO_CLIENT, ClientInfo
from application.two_factor.confirm import ConfirmTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactorCommand
from application.users.create_user import NewUser
from domain.audit import AuditEvent, AuditEventType
from domain.users import Role, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.settings import Settings, load_settings
from tests.fakes import FixedClock, PlainPasswordHasher, SequentialIds

PASSWORD = "velvet harbor quantum meadow"
NEW_PASSWORD = "tremendous purple elephant dance"
THIRD_PASSWORD = "quiet orange bicycle meadow"
EMAIL = "ann@example.com"
OTHER_EMAIL = "bob@example.com"
PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # the settings' default
IP = "203.0.113.7"
OTHER_IP = "198.51.100.9"
LAPTOP = ClientInfo(IP, "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "req-laptop")
PHONE = ClientInfo(OTHER_IP, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1", "req-phone")
TOTP_STEP_SECONDS = 30


# Services with settings of their own


def settings_with(**env: str) -> Settings:
    """The test settings of `conftest.settings`, with `env` on top."""
    base = {"APP_ENV": "test", "JWT_SECRET": "t" * 48, "EMAIL_LINK_MIN_RESPONSE_MS": "0"}
    return load_settings({**base, **env})


def services_with(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender, **overrides: Any
) -> Services:
    """The `fake_services` wiring for other settings (or other adapters)."""
    adapters: dict[str, Any] = {"ids": SequentialIds(), "hasher": PlainPasswordHasher()}
    return build_services(settings, clock=clock, email=outbox, **{**adapters, **overrides})


class Yielding:
    """An adapter whose every async call yields to the event loop before and after it
    runs (each call stays atomic, like one database round trip), so use cases running
    concurrently interleave between their calls instead of running one after the other."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            await anyio.lowlevel.checkpoint()
            result = await attribute(*args, **kwargs)
            await anyio.lowlevel.checkpoint()
            return result

        return call


def interleaving_services(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender
) -> Services:
    """`fake_services` whose stores and hasher yield on every call (see `Yielding`)."""
    return services_with(
        settings,
        clock,
        outbox,
        users=Yielding(InMemoryUserRepository()),
        sessions=Yielding(InMemoryRefreshSessionRepository()),
        throttles=Yielding(InMemoryThrottleRepository()),
        one_time_tokens=Yielding(InMemoryOneTimeTokenRepository()),
        hasher=Yielding(PlainPasswordHasher()),
    )


def use_wall_clock(clock: FixedClock) -> None:
    """Access tokens are checked against the real time: start the fixed clock there
    (and do not move it by more than the JWT leeway before authenticating)."""
    clock.current = datetime.now(UTC)


# Accounts


async def sign_up(
    services: Services,
    email: str = EMAIL,
    password: str = PASSWORD,
    name: str = "Ann",
    client: ClientInfo = NO_CLIENT,
) -> SignUpResult:
    return await services.sign_up.execute(SignUpCommand(email, password, name, client))


async def make_user(
    services: Services,
    email: str = EMAIL,
    name: str = "Ann",
    role: Role = Role.USER,
    *,
    verified: bool = False,
    password: str = PASSWORD,
) -> User:
    """Store a user without sign-up (no email, no audit event)."""
    return await services.user_factory.create(
        NewUser(email, password, name, role, email_verified=verified)
    )


async def fresh(services: Services, user: User | str) -> User:
    """The stored version of a user (use cases take the actor as the caller loaded it)."""
    user_id = user if isinstance(user, str) else user.id
    stored = await services.adapters.users.get(user_id)
    assert stored is not None, f"user {user_id} is gone"
    return stored


async def sign_in(
    services: Services,
    email: str = EMAIL,
    password: str = PASSWORD,
    client: ClientInfo = LAPTOP,
) -> SignInResult:
    return await services.sign_in.execute(SignInCommand(email, password, client))


async def sign_in_tokens(
    services: Services,
    email: str = EMAIL,
    password: str = PASSWORD,
    client: ClientInfo = LAPTOP,
) -> TokenPair:
    """Sign in a user without two-factor: a token pair is expected."""
    result = await sign_in(services, email, password, client)
    assert isinstance(result, TokenPair), result
    return result


async def sign_in_challenge(
    services: Services,
    email: str = EMAIL,
    password: str = PASSWORD,
    client: ClientInfo = LAPTOP,
) -> str:
    """Sign in a user with two-factor on: the raw challenge is expected."""
    result = await sign_in(services, email, password, client)
    assert isinstance(result, TwoFactorChallenge), result
    return result.challenge


# Email links


def token_of(link: str) -> str:
    """The raw token of an emailed link (it travels in the fragment)."""
    _, marker, token = link.partition("#token=")
    assert marker, f"no token in {link}"
    return unquote(token)


def links_to(outbox: InMemoryEmailSender, address: str, page: str) -> list[str]:
    return [link for link in outbox.links(address) if f"/{page}#token=" in link]


def last_token(outbox: InMemoryEmailSender, address: str, page: str) -> str:
    """The token of the latest `page` link ("verify-email", "reset-password") sent."""
    links = links_to(outbox, address, page)
    assert links, f"no {page} link was sent to {address}"
    return token_of(links[-1])


def verification_token(outbox: InMemoryEmailSender, address: str = EMAIL) -> str:
    return last_token(outbox, address, "verify-email")


def reset_token(outbox: InMemoryEmailSender, address: str = EMAIL) -> str:
    return last_token(outbox, address, "reset-password")


# TOTP


def totp_code(secret: str, at: datetime, steps: int = 0) -> str:
    """The authenticator app's code at `at`, or `steps` time steps away from it."""
    return pyotp.TOTP(secret).at(at, counter_offset=steps)


def wrong_totp_code(secret: str, at: datetime) -> str:
    """A 6-digit code that matches no step the server accepts at `at` (now ± 1)."""
    valid = {totp_code(secret, at, offset) for offset in (-1, 0, 1)}
    return next(code for n in range(1_000_000) if (code := f"{n:06d}") not in valid)


@dataclass(frozen=True, slots=True)
class TwoFactorUser:
    user: User
    secret: str
    backup_codes: list[str]


async def enable_two_factor(
    services: Services, clock: FixedClock, user: User, password: str = PASSWORD
) -> TwoFactorUser:
    """Enroll and confirm with the current code, then move the clock one step on, so
    the code of the new "now" has not been used yet."""
    enrollment = await services.enroll_two_factor.execute(
        EnrollTwoFactorCommand(await fresh(services, user), password)
    )
    codes = await services.confirm_two_factor.execute(
        ConfirmTwoFactorCommand(
            await fresh(services, user), totp_code(enrollment.secret, clock.now())
        )
    )
    clock.advance(seconds=TOTP_STEP_SECONDS)
    return TwoFactorUser(await fresh(services, user), enrollment.secret, codes)


# The audit trail


async def audit_events(services: Services, user_id: str | None = None) -> list[AuditEvent]:
    """Every stored event (of one user, or all), newest first, read from the store."""
    return await services.adapters.audit.list_page(user_id, 10_000, None)


async def audit_types(services: Services, user_id: str | None = None) -> list[AuditEventType]:
    """The event types, oldest first (the order they happened in)."""
    return [event.type for event in reversed(await audit_events(services, user_id))]


async def events_of_type(
    services: Services, type: AuditEventType, user_id: str | None = None
) -> list[AuditEvent]:
    return [event for event in await audit_events(services, user_id) if event.type is type]
