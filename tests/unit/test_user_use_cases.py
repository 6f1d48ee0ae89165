"""User-management use cases: create, get, list, update, delete, change password, authenticate."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Awaitable
from datetime import UTC, datetime

import anyio
import anyio.lowlevel
import pytest

from adapters.memory.users import InMemoryUserRepository
from application.auth.sessions import TokenPair, hash_refresh_token
from application.auth.sign_in import SignInCommand
from application.context import ClientInfo
from application.users.change_password import ChangePasswordCommand
from application.users.create_user import CreateUserCommand, NewUser
from application.users.delete_user import DeleteUserCommand
from application.users.get_user import GetUserQuery
from application.users.list_users import ListUsersQuery, UserPage
from application.users.update_user import UpdateUserCommand
from domain.audit import AuditEventType
from domain.errors import (
    AuthenticationError,
    DomainError,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidInputError,
    LastAdminError,
    PermissionDeniedError,
    StaleVersionError,
    UserNotFoundError,
)
from domain.users import Email, Role, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.settings import Settings
from tests.fakes import FixedClock, PlainPasswordHasher, SequentialIds
from tests.unit.lifecycle_helpers import events_of_type

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

PASSWORD = "velvet harbor quantum meadow"
NEW_PASSWORD = "tremendous purple elephant dance"


async def create(
    services: Services, email: str, name: str = "Someone", role: Role = Role.USER
) -> User:
    # Verified, as the CLI makes admins: admin powers require it (tested separately).
    new = NewUser(email, PASSWORD, name, role, email_verified=True)
    return await services.user_factory.create(new)


@pytest.fixture
async def admin(fake_services: Services) -> User:
    return await create(fake_services, "root@example.com", "Root", Role.ADMIN)


@pytest.fixture
async def ann(fake_services: Services, admin: User) -> User:
    return await create(fake_services, "ann@example.com", "Ann")


@pytest.fixture
async def bob(fake_services: Services, ann: User) -> User:
    return await create(fake_services, "bob@example.com", "Bob")


async def stored(services: Services, user_id: str) -> User | None:
    return await services.adapters.users.get(user_id)


async def sign_in(services: Services, email: str, password: str = PASSWORD) -> TokenPair:
    return await services.sign_in.execute(SignInCommand(email, password, ClientInfo("203.0.113.7")))


async def is_revoked(services: Services, pair: TokenPair) -> bool:
    session = await services.adapters.sessions.get(hash_refresh_token(pair.refresh_token))
    assert session is not None
    return session.revoked


# Create


async def test_an_admin_creates_a_user_with_the_role_given(
    fake_services: Services, admin: User
) -> None:
    created = await fake_services.create_user.execute(
        CreateUserCommand(admin, NewUser(" Eve@Example.com", PASSWORD, " Eve ", Role.ADMIN))
    )

    assert await stored(fake_services, created.id) == created
    assert (created.email, created.name, created.role) == (
        Email("eve@example.com"),
        "Eve",
        Role.ADMIN,
    )
    assert await fake_services.adapters.users.count_admins() == 2


async def test_an_admin_created_user_has_role_user_by_default(
    fake_services: Services, admin: User
) -> None:
    created = await fake_services.create_user.execute(
        CreateUserCommand(admin, NewUser("eve@example.com", PASSWORD, "Eve"))
    )
    assert created.role is Role.USER


async def test_a_non_admin_cannot_create_users_and_nothing_is_stored(
    fake_services: Services, ann: User
) -> None:
    with pytest.raises(PermissionDeniedError):
        await fake_services.create_user.execute(
            CreateUserCommand(ann, NewUser("eve@example.com", PASSWORD, "Eve", Role.ADMIN))
        )

    assert await fake_services.adapters.users.get_by_email(Email("eve@example.com")) is None


async def test_an_admin_cannot_create_a_user_with_a_taken_email(
    fake_services: Services, admin: User, ann: User
) -> None:
    with pytest.raises(EmailTakenError):
        await fake_services.create_user.execute(
            CreateUserCommand(admin, NewUser("ANN@example.com", PASSWORD, "Other Ann"))
        )
    assert await fake_services.adapters.users.get_by_email(Email("ann@example.com")) == ann


async def test_an_admin_created_user_must_pass_the_password_policy(
    fake_services: Services, admin: User
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await fake_services.create_user.execute(
            CreateUserCommand(admin, NewUser("eve@example.com", "short", "Eve"))
        )
    assert [e.field for e in exc.value.errors] == ["password"]


# Get


async def test_a_user_reads_themselves(fake_services: Services, ann: User) -> None:
    assert await fake_services.get_user.execute(GetUserQuery(ann, ann.id)) == ann


async def test_an_admin_reads_anyone(fake_services: Services, admin: User, ann: User) -> None:
    assert await fake_services.get_user.execute(GetUserQuery(admin, ann.id)) == ann


async def test_a_user_asking_for_someone_else_gets_not_found_like_for_a_missing_id(
    fake_services: Services, ann: User, bob: User
) -> None:
    with pytest.raises(UserNotFoundError) as other:
        await fake_services.get_user.execute(GetUserQuery(ann, bob.id))
    with pytest.raises(UserNotFoundError) as missing:
        await fake_services.get_user.execute(GetUserQuery(ann, "no-such-id"))

    assert other.value.message == missing.value.message


async def test_a_user_cannot_read_an_admin_either(
    fake_services: Services, admin: User, ann: User
) -> None:
    with pytest.raises(UserNotFoundError):
        await fake_services.get_user.execute(GetUserQuery(ann, admin.id))


async def test_an_admin_asking_for_a_missing_id_gets_not_found(
    fake_services: Services, admin: User
) -> None:
    with pytest.raises(UserNotFoundError):
        await fake_services.get_user.execute(GetUserQuery(admin, "no-such-id"))


# List


async def list_users(
    services: Services, actor: User, limit: int = 20, cursor: str | None = None
) -> UserPage:
    return await services.list_users.execute(ListUsersQuery(actor, limit, cursor))


async def test_a_non_admin_cannot_list_users(fake_services: Services, ann: User) -> None:
    with pytest.raises(PermissionDeniedError):
        await list_users(fake_services, ann)


async def test_users_are_listed_in_creation_order_one_page_at_a_time(
    fake_services: Services, clock: FixedClock
) -> None:
    # Ids sort the other way round from creation times, so only the time can order them.
    repo = fake_services.adapters.users
    admin = await create(fake_services, "root@example.com", "Root", Role.ADMIN)
    created = [admin]
    for n in range(4):
        clock.advance(minutes=1)
        user = User(
            id=f"z{9 - n}",
            email=Email(f"user{n}@example.com"),
            name=f"User {n}",
            role=Role.USER,
            password_hash="plain$" + PASSWORD,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        await repo.add(user)
        created.append(user)

    first = await list_users(fake_services, admin, limit=2)
    second = await list_users(fake_services, admin, limit=2, cursor=first.next_cursor)
    third = await list_users(fake_services, admin, limit=2, cursor=second.next_cursor)

    assert [len(page.items) for page in (first, second, third)] == [2, 2, 1]
    assert first.items + second.items + third.items == created
    assert first.next_cursor is not None
    assert second.next_cursor is not None
    assert third.next_cursor is None


async def test_users_created_at_the_same_instant_are_listed_by_id(
    fake_services: Services, admin: User, ann: User, bob: User
) -> None:
    page = await list_users(fake_services, admin, limit=1)
    seen = list(page.items)
    while page.next_cursor:
        page = await list_users(fake_services, admin, limit=1, cursor=page.next_cursor)
        seen.extend(page.items)

    assert seen == sorted([admin, ann, bob], key=lambda u: u.id)
    assert [u.id for u in seen] == [admin.id, ann.id, bob.id]


async def test_a_last_page_that_is_exactly_full_has_no_next_cursor(
    fake_services: Services, admin: User, ann: User, bob: User
) -> None:
    await create(fake_services, "cat@example.com")

    first = await list_users(fake_services, admin, limit=2)
    second = await list_users(fake_services, admin, limit=2, cursor=first.next_cursor)

    assert len(second.items) == 2
    assert second.next_cursor is None


async def test_one_page_holds_everything_when_the_limit_allows(
    fake_services: Services, admin: User, ann: User, bob: User
) -> None:
    page = await list_users(fake_services, admin, limit=100)
    assert (page.items, page.next_cursor) == ([admin, ann, bob], None)


async def test_a_cursor_keeps_working_after_its_user_is_deleted(
    fake_services: Services, admin: User, ann: User, bob: User
) -> None:
    first = await list_users(fake_services, admin, limit=2)
    assert first.items == [admin, ann]
    await fake_services.adapters.users.delete(ann.id)

    second = await list_users(fake_services, admin, limit=2, cursor=first.next_cursor)

    assert second.items == [bob]


@pytest.mark.parametrize("limit", [0, -1, 101])
async def test_a_limit_outside_1_to_100_is_rejected(
    fake_services: Services, admin: User, limit: int
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await list_users(fake_services, admin, limit=limit)
    assert [e.field for e in exc.value.errors] == ["limit"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["a", "!!!!", "é", _b64(b"no separator here"), _b64(b"\xff\xfe|id000001")],
)
async def test_a_malformed_cursor_is_rejected_as_invalid_input(
    fake_services: Services, admin: User, cursor: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await list_users(fake_services, admin, cursor=cursor)
    assert [e.field for e in exc.value.errors] == ["cursor"]


# Update


async def update(
    services: Services,
    actor: User,
    target: User,
    *,
    name: str | None = None,
    email: str | None = None,
    role: Role | None = None,
) -> User:
    command = UpdateUserCommand(
        actor, target.id, target.version, name, email, role, current_password=PASSWORD
    )
    return await services.update_user.execute(command)


async def test_a_user_renames_themselves_and_the_version_rises(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    clock.advance(minutes=5)

    updated = await update(fake_services, ann, ann, name="  Ann Smith ")

    assert updated.name == "Ann Smith"
    assert (updated.version, updated.updated_at) == (2, clock.now())
    assert updated.created_at == ann.created_at
    assert await stored(fake_services, ann.id) == updated


async def test_an_admin_changes_another_users_name_and_email(
    fake_services: Services, admin: User, ann: User
) -> None:
    updated = await update(fake_services, admin, ann, name="Annie", email=" Annie@Example.com")

    assert (updated.name, updated.email) == ("Annie", Email("annie@example.com"))
    repo = fake_services.adapters.users
    assert await repo.get_by_email(Email("annie@example.com")) == updated
    assert await repo.get_by_email(Email("ann@example.com")) is None


async def test_a_user_updating_someone_else_gets_not_found(
    fake_services: Services, ann: User, bob: User
) -> None:
    with pytest.raises(UserNotFoundError):
        await update(fake_services, ann, bob, name="Hacked")
    assert await stored(fake_services, bob.id) == bob


async def test_an_admin_updating_a_missing_user_gets_not_found(
    fake_services: Services, admin: User
) -> None:
    with pytest.raises(UserNotFoundError):
        await fake_services.update_user.execute(
            UpdateUserCommand(admin, "no-such-id", 1, name="Ghost")
        )


@pytest.mark.parametrize("role", [Role.ADMIN, Role.USER])
async def test_a_non_admin_may_not_set_a_role_even_their_own(
    fake_services: Services, ann: User, role: Role
) -> None:
    with pytest.raises(PermissionDeniedError):
        await update(fake_services, ann, ann, role=role, name="Ann Smith")
    assert await stored(fake_services, ann.id) == ann


async def test_an_admin_promotes_a_user(fake_services: Services, admin: User, ann: User) -> None:
    updated = await update(fake_services, admin, ann, role=Role.ADMIN)

    assert updated.role is Role.ADMIN
    assert await fake_services.adapters.users.count_admins() == 2


async def test_an_update_based_on_a_stale_version_fails_and_changes_nothing(
    fake_services: Services, ann: User
) -> None:
    current = await update(fake_services, ann, ann, name="First Edit")

    with pytest.raises(StaleVersionError):
        await update(fake_services, current, ann, name="Lost Update")  # read version 1

    assert await stored(fake_services, ann.id) == current


async def test_an_update_to_a_taken_email_fails_and_changes_nothing(
    fake_services: Services, ann: User, bob: User
) -> None:
    with pytest.raises(EmailTakenError):
        await update(fake_services, ann, ann, name="Ann B", email="BOB@example.com")

    assert await stored(fake_services, ann.id) == ann
    assert await fake_services.adapters.users.get_by_email(Email("bob@example.com")) == bob


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [("  ", None, "name"), ("x" * 101, None, "name"), (None, "nope", "email")],
)
async def test_an_update_with_an_invalid_name_or_email_is_rejected(
    fake_services: Services, ann: User, name: str | None, email: str | None, field: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await update(fake_services, ann, ann, name=name, email=email)
    assert [e.field for e in exc.value.errors] == [field]
    assert await stored(fake_services, ann.id) == ann


async def test_an_update_without_changes_keeps_the_version(
    fake_services: Services, ann: User
) -> None:
    assert await update(fake_services, ann, ann) == ann
    assert await stored(fake_services, ann.id) == ann


async def test_the_only_admin_cannot_demote_themselves(
    fake_services: Services, admin: User
) -> None:
    with pytest.raises(LastAdminError):
        await update(fake_services, admin, admin, role=Role.USER)
    assert await stored(fake_services, admin.id) == admin


async def test_the_only_admin_may_set_their_role_to_admin_again(
    fake_services: Services, admin: User
) -> None:
    assert await update(fake_services, admin, admin, role=Role.ADMIN) == admin


async def test_an_admin_can_be_demoted_while_another_admin_remains(
    fake_services: Services, admin: User, ann: User
) -> None:
    ann = await update(fake_services, admin, ann, role=Role.ADMIN)

    demoted = await update(fake_services, ann, admin, role=Role.USER)

    assert demoted.role is Role.USER
    assert await fake_services.adapters.users.count_admins() == 1


# Delete


async def delete(
    services: Services, actor: User, user_id: str, current_password: str | None = PASSWORD
) -> None:
    """Deleting yourself re-authenticates: the test users' password is sent (ignored
    when an admin deletes someone else)."""
    command = DeleteUserCommand(actor, user_id, current_password=current_password)
    await services.delete_user.execute(command)


async def test_deleting_yourself_needs_your_current_password(
    fake_services: Services, ann: User
) -> None:
    with pytest.raises(InvalidInputError) as missing:
        await delete(fake_services, ann, ann.id, current_password=None)
    assert missing.value.errors[0].field == "current_password"
    with pytest.raises(InvalidCredentialsError):
        await delete(fake_services, ann, ann.id, current_password="not the password at all")

    assert await stored(fake_services, ann.id) == ann
    (event,) = await events_of_type(fake_services, AuditEventType.REAUTHENTICATION_FAILED)
    assert event.details == {"operation": "delete_account"}


async def test_an_admin_deletes_someone_else_without_a_password(
    fake_services: Services, admin: User, ann: User
) -> None:
    await delete(fake_services, admin, ann.id, current_password=None)
    assert await stored(fake_services, ann.id) is None


async def test_a_user_deletes_themselves_and_frees_the_email(
    fake_services: Services, ann: User
) -> None:
    await delete(fake_services, ann, ann.id)

    assert await stored(fake_services, ann.id) is None
    assert await fake_services.adapters.users.get_by_email(ann.email) is None
    await create(fake_services, "ann@example.com", "New Ann")


async def test_an_admin_deletes_another_user(
    fake_services: Services, admin: User, ann: User
) -> None:
    await delete(fake_services, admin, ann.id)
    assert await stored(fake_services, ann.id) is None


async def test_a_user_deleting_someone_else_gets_not_found(
    fake_services: Services, ann: User, bob: User
) -> None:
    with pytest.raises(UserNotFoundError):
        await delete(fake_services, ann, bob.id)
    assert await stored(fake_services, bob.id) == bob


async def test_deleting_a_missing_user_gets_not_found(fake_services: Services, admin: User) -> None:
    with pytest.raises(UserNotFoundError):
        await delete(fake_services, admin, "no-such-id")


async def test_the_last_admin_cannot_delete_themselves(
    fake_services: Services, admin: User
) -> None:
    with pytest.raises(LastAdminError):
        await delete(fake_services, admin, admin.id)
    assert await stored(fake_services, admin.id) == admin


async def test_an_admin_can_delete_another_admin_while_one_remains(
    fake_services: Services, admin: User
) -> None:
    other = await create(fake_services, "root2@example.com", "Root Two", Role.ADMIN)

    await delete(fake_services, admin, other.id)

    assert await fake_services.adapters.users.count_admins() == 1


async def test_deleting_a_user_revokes_every_session_of_theirs(
    fake_services: Services, ann: User, bob: User
) -> None:
    laptop = await sign_in(fake_services, "ann@example.com")
    phone = await sign_in(fake_services, "ann@example.com")
    bobs = await sign_in(fake_services, "bob@example.com")

    await delete(fake_services, ann, ann.id)

    assert await is_revoked(fake_services, laptop)
    assert await is_revoked(fake_services, phone)
    assert not await is_revoked(fake_services, bobs)


# Change password


async def change_password(
    services: Services, actor: User, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> None:
    await services.change_password.execute(ChangePasswordCommand(actor, current, new))


async def test_changing_the_password_stores_the_new_hash_and_bumps_the_token_version(
    fake_services: Services, ann: User, clock: FixedClock
) -> None:
    clock.advance(hours=1)

    await change_password(fake_services, ann)

    after = await stored(fake_services, ann.id)
    assert after is not None
    assert after.password_hash == "plain$" + NEW_PASSWORD
    assert (after.token_version, after.version, after.updated_at) == (2, 2, clock.now())


async def test_after_a_password_change_only_the_new_password_signs_in(
    fake_services: Services, ann: User
) -> None:
    await change_password(fake_services, ann)

    with pytest.raises(InvalidCredentialsError):
        await sign_in(fake_services, "ann@example.com", PASSWORD)
    await sign_in(fake_services, "ann@example.com", NEW_PASSWORD)


async def test_changing_the_password_revokes_every_session_of_the_user_only(
    fake_services: Services, ann: User, bob: User
) -> None:
    laptop = await sign_in(fake_services, "ann@example.com")
    phone = await sign_in(fake_services, "ann@example.com")
    bobs = await sign_in(fake_services, "bob@example.com")

    await change_password(fake_services, ann)

    assert await is_revoked(fake_services, laptop)
    assert await is_revoked(fake_services, phone)
    assert not await is_revoked(fake_services, bobs)


async def test_a_wrong_current_password_changes_nothing(fake_services: Services, ann: User) -> None:
    pair = await sign_in(fake_services, "ann@example.com")

    with pytest.raises(InvalidCredentialsError) as exc:
        await change_password(fake_services, ann, current="not my password at all")

    assert exc.value.message == "The current password is incorrect."
    assert await stored(fake_services, ann.id) == ann
    assert not await is_revoked(fake_services, pair)


async def test_the_new_password_must_differ_from_the_current_one(
    fake_services: Services, ann: User
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        await change_password(fake_services, ann, new=PASSWORD)
    assert [e.field for e in exc.value.errors] == ["new_password"]
    assert await stored(fake_services, ann.id) == ann


@pytest.mark.parametrize("new", ["too short", "ANN@EXAMPLE.COM", "123456789qwerty"])
async def test_the_new_password_must_pass_the_policy(
    fake_services: Services, admin: User, new: str
) -> None:
    ann = await fake_services.user_factory.create(
        NewUser("ann@example.com", PASSWORD, "Annabel Smithsonian")
    )
    with pytest.raises(InvalidInputError) as exc:
        await change_password(fake_services, ann, new=new)
    assert [e.field for e in exc.value.errors] == ["new_password"]
    assert await stored(fake_services, ann.id) == ann


async def test_the_new_password_must_not_equal_the_name(
    fake_services: Services, admin: User
) -> None:
    ann = await create(fake_services, "ann@example.com", "Annabel Smithsonian")
    with pytest.raises(InvalidInputError) as exc:
        await change_password(fake_services, ann, new="annabel smithsonian")
    assert exc.value.errors[0].code == "context"


async def test_a_concurrent_profile_edit_does_not_make_the_password_change_fail(
    fake_services: Services, ann: User
) -> None:
    renamed = await update(fake_services, ann, ann, name="Ann Smith")

    await change_password(fake_services, ann)  # `ann` is the copy read before the rename

    after = await stored(fake_services, ann.id)
    assert after is not None
    assert after.name == "Ann Smith"
    assert after.password_hash == "plain$" + NEW_PASSWORD
    assert (after.version, after.token_version) == (renamed.version + 1, 2)


# Authenticate


@pytest.fixture
def wall_clock(clock: FixedClock) -> FixedClock:
    """Access tokens are verified against the real time by the JWT adapter."""
    clock.current = datetime.now(UTC)
    return clock


async def test_a_valid_access_token_authenticates_its_user(
    fake_services: Services, wall_clock: FixedClock, ann: User
) -> None:
    pair = await sign_in(fake_services, "ann@example.com")
    assert (await fake_services.authenticate.execute(pair.access_token)).user == ann


async def test_a_malformed_access_token_is_rejected(
    fake_services: Services, wall_clock: FixedClock, ann: User
) -> None:
    with pytest.raises(AuthenticationError):
        await fake_services.authenticate.execute("not.a.jwt")


async def test_an_access_token_from_before_a_password_change_is_rejected(
    fake_services: Services, wall_clock: FixedClock, ann: User
) -> None:
    old = await sign_in(fake_services, "ann@example.com")

    await change_password(fake_services, ann)

    with pytest.raises(AuthenticationError):
        await fake_services.authenticate.execute(old.access_token)
    new = await sign_in(fake_services, "ann@example.com", NEW_PASSWORD)
    authenticated = (await fake_services.authenticate.execute(new.access_token)).user
    assert authenticated.token_version == 2


async def test_an_access_token_survives_a_profile_edit(
    fake_services: Services, wall_clock: FixedClock, ann: User
) -> None:
    pair = await sign_in(fake_services, "ann@example.com")
    renamed = await update(fake_services, ann, ann, name="Ann Smith")

    assert (await fake_services.authenticate.execute(pair.access_token)).user == renamed


async def test_an_access_token_of_a_deleted_user_is_rejected(
    fake_services: Services, wall_clock: FixedClock, ann: User
) -> None:
    pair = await sign_in(fake_services, "ann@example.com")

    await delete(fake_services, ann, ann.id)

    with pytest.raises(AuthenticationError):
        await fake_services.authenticate.execute(pair.access_token)


async def test_a_role_change_ends_every_session_of_that_user(
    fake_services: Services, wall_clock: FixedClock, admin: User, ann: User
) -> None:
    # The role is a claim of the access token: none may outlive a change of it.
    ann = await update(fake_services, admin, ann, role=Role.ADMIN)
    pair = await sign_in(fake_services, "ann@example.com")
    await update(fake_services, admin, ann, role=Role.USER)

    with pytest.raises(AuthenticationError):
        await fake_services.authenticate.execute(pair.access_token)
    assert await is_revoked(fake_services, pair)
    again = await sign_in(fake_services, "ann@example.com")
    assert (await fake_services.authenticate.execute(again.access_token)).user.role is Role.USER


# The last admin under concurrency


class LatentUserRepository:
    """The in-memory repository behind a network hop: every call yields to the event loop
    first, as a call to a real store does."""

    def __init__(self) -> None:
        self._inner = InMemoryUserRepository()

    async def add(self, user: User) -> None:
        await anyio.lowlevel.checkpoint()
        await self._inner.add(user)

    async def get(self, user_id: str) -> User | None:
        await anyio.lowlevel.checkpoint()
        return await self._inner.get(user_id)

    async def get_by_email(self, email: Email) -> User | None:
        await anyio.lowlevel.checkpoint()
        return await self._inner.get_by_email(email)

    async def update(self, user: User, expected_version: int) -> None:
        await anyio.lowlevel.checkpoint()
        await self._inner.update(user, expected_version)

    async def delete(self, user_id: str) -> bool:
        await anyio.lowlevel.checkpoint()
        return await self._inner.delete(user_id)

    async def list_page(self, limit: int, after: tuple[str, str] | None) -> list[User]:
        await anyio.lowlevel.checkpoint()
        return await self._inner.list_page(limit, after)

    async def count_admins(self) -> int:
        await anyio.lowlevel.checkpoint()
        return await self._inner.count_admins()


@pytest.fixture
def latent_services(settings: Settings, clock: FixedClock) -> Services:
    return build_services(
        settings,
        users=LatentUserRepository(),
        clock=clock,
        ids=SequentialIds(),
        hasher=PlainPasswordHasher(),
    )


async def _run_concurrently(*calls: Awaitable[object]) -> None:
    async def swallow(call: Awaitable[object]) -> None:
        with contextlib.suppress(DomainError):
            await call

    async with anyio.create_task_group() as tg:
        for call in calls:
            tg.start_soon(swallow, call)


async def test_two_admins_deleting_each_other_at_once_leave_one_admin(
    latent_services: Services,
) -> None:
    one = await create(latent_services, "one@example.com", "One", Role.ADMIN)
    two = await create(latent_services, "two@example.com", "Two", Role.ADMIN)

    await _run_concurrently(
        latent_services.delete_user.execute(DeleteUserCommand(one, two.id)),
        latent_services.delete_user.execute(DeleteUserCommand(two, one.id)),
    )

    assert await latent_services.adapters.users.count_admins() >= 1


async def test_two_admins_demoting_themselves_at_once_leave_one_admin(
    latent_services: Services,
) -> None:
    one = await create(latent_services, "one@example.com", "One", Role.ADMIN)
    two = await create(latent_services, "two@example.com", "Two", Role.ADMIN)

    await _run_concurrently(
        latent_services.update_user.execute(UpdateUserCommand(one, one.id, 1, role=Role.USER)),
        latent_services.update_user.execute(UpdateUserCommand(two, two.id, 1, role=Role.USER)),
    )

    assert await latent_services.adapters.users.count_admins() >= 1
