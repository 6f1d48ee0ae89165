"""Rules added after a security review of the account lifecycle: a revocation racing a
refresh wins; two-factor needs a verified address and throttles every code guess; a
forged cursor is invalid input; a user's own trail does not show where an admin acted
from."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.memory.sessions import InMemoryRefreshSessionRepository
from application.audit.list_events import ListAuditEventsQuery
from application.auth.refresh import RefreshCommand
from application.pagination import decode_cursor
from application.sessions.list_sessions import ListSessionsQuery
from application.two_factor.confirm import ConfirmTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactorCommand
from application.users.update_user import UpdateUserCommand
from domain.auth import RefreshSession
from domain.errors import (
    AuthenticationError,
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidInputError,
    TooManyAttemptsError,
)
from domain.users import Role
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from tests.fakes import FixedClock
from tests.unit.lifecycle_helpers import (
    LAPTOP,
    PASSWORD,
    PHONE,
    fresh,
    make_user,
    services_with,
    sign_in_tokens,
    totp_code,
    wrong_totp_code,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


class RevokedDuringRotation:
    """Sessions whose next `add` is preceded by a revocation of the whole user: what a
    password reset or "sign out everywhere" does when it lands between a refresh's
    spend and its insert."""

    def __init__(self) -> None:
        self.inner = InMemoryRefreshSessionRepository()
        self.armed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def add(self, session: RefreshSession) -> None:
        if self.armed:
            self.armed = False
            await self.inner.revoke_user(session.user_id)
        await self.inner.add(session)


async def test_a_revocation_between_spend_and_insert_leaves_no_live_session(
    settings: Settings, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    sessions = RevokedDuringRotation()
    services = services_with(settings, clock, outbox, sessions=sessions)
    user = await make_user(services, verified=True)
    pair = await sign_in_tokens(services)
    sessions.armed = True

    with pytest.raises(AuthenticationError):
        await services.refresh.execute(RefreshCommand(pair.refresh_token, LAPTOP))

    assert await services.list_sessions.execute(ListSessionsQuery(user)) == []


async def test_two_factor_needs_a_verified_address(fake_services: Services) -> None:
    user = await make_user(fake_services, verified=False)

    with pytest.raises(EmailNotVerifiedError):
        await fake_services.enroll_two_factor.execute(EnrollTwoFactorCommand(user, PASSWORD))

    assert (await fresh(fake_services, user)).totp is None


async def test_wrong_confirmation_codes_are_throttled(
    fake_services: Services, clock: FixedClock
) -> None:
    user = await make_user(fake_services, verified=True)
    enrollment = await fake_services.enroll_two_factor.execute(
        EnrollTwoFactorCommand(user, PASSWORD)
    )
    wrong = wrong_totp_code(enrollment.secret, clock.now())
    for _ in range(5):
        with pytest.raises(InvalidInputError):
            await fake_services.confirm_two_factor.execute(
                ConfirmTwoFactorCommand(await fresh(fake_services, user), wrong)
            )

    right = totp_code(enrollment.secret, clock.now())
    with pytest.raises(TooManyAttemptsError):
        await fake_services.confirm_two_factor.execute(
            ConfirmTwoFactorCommand(await fresh(fake_services, user), right)
        )


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+01:00", "2026-01-01T12:00:00+02:00", "9999-12-31T23:59:59+00:00"],
)
def test_a_cursor_we_cannot_have_issued_is_invalid_input(moment: str) -> None:
    cursor = base64.urlsafe_b64encode(f"{moment}|x".encode()).decode().rstrip("=")

    with pytest.raises(InvalidInputError):
        decode_cursor(cursor)


async def test_a_user_sees_that_an_admin_acted_but_not_from_where(
    fake_services: Services,
) -> None:
    admin = await make_user(fake_services, "root@example.com", role=Role.ADMIN, verified=True)
    ann = await make_user(fake_services, verified=True)
    await fake_services.update_user.execute(
        UpdateUserCommand(admin, ann.id, ann.version, role=Role.ADMIN, client=PHONE)
    )
    ann = await fresh(fake_services, ann)
    as_user = replace(ann, role=Role.USER)  # read as a non-admin

    own = await fake_services.list_audit_events.execute(ListAuditEventsQuery(as_user, ann.id))
    as_admin = await fake_services.list_audit_events.execute(ListAuditEventsQuery(admin, ann.id))

    (seen,) = own.items
    assert (seen.actor_id, seen.ip, seen.user_agent, seen.request_id) == (admin.id, "", "", "")
    (full,) = as_admin.items
    assert (full.ip, full.user_agent, full.request_id) == (PHONE.ip, PHONE.device, PHONE.request_id)


async def test_changing_your_own_email_needs_your_current_password(
    fake_services: Services, outbox: InMemoryEmailSender
) -> None:
    ann = await make_user(fake_services, verified=True)
    change = UpdateUserCommand(ann, ann.id, ann.version, email="ann@elsewhere.example")

    with pytest.raises(InvalidInputError) as missing:
        await fake_services.update_user.execute(change)
    assert [e.field for e in missing.value.errors] == ["current_password"]
    with pytest.raises(InvalidCredentialsError):
        await fake_services.update_user.execute(replace(change, current_password="wrong one"))
    assert (await fresh(fake_services, ann)).email == ann.email

    updated = await fake_services.update_user.execute(replace(change, current_password=PASSWORD))

    assert updated.email.value == "ann@elsewhere.example"
    # The old address is told, without a link; the new one gets its verification link.
    notice = outbox.last_to("ann@example.com")
    assert "ann@elsewhere.example" in notice.text
    assert "http" not in notice.text
    assert outbox.links("ann@elsewhere.example")


async def test_an_admin_changes_someone_elses_email_without_a_password(
    fake_services: Services,
) -> None:
    admin = await make_user(fake_services, "root@example.com", role=Role.ADMIN, verified=True)
    ann = await make_user(fake_services, verified=True)

    updated = await fake_services.update_user.execute(
        UpdateUserCommand(admin, ann.id, ann.version, email="ann@elsewhere.example")
    )

    assert (updated.email.value, updated.email_verified) == ("ann@elsewhere.example", False)
