from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.mongo.connection import USERS
from domain.errors import EmailTakenError, StaleVersionError
from domain.two_factor import TotpFactor
from domain.users import Email, Role, User
from tests.contract.conftest import Stores

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

T0 = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def a_user(n: int = 1, role: Role = Role.USER, at: datetime = T0) -> User:
    return User(
        id=f"user-{n:03d}",
        email=Email(f"user{n}@example.com"),
        name=f"User {n}",
        role=role,
        password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        created_at=at,
        updated_at=at,
    )


async def test_a_stored_user_reads_back_equal_by_id_and_by_email(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    assert await stores.users.get(user.id) == user
    assert await stores.users.get_by_email(Email("USER1@example.com")) == user


async def test_unknown_ids_and_emails_read_as_none(stores: Stores) -> None:
    assert await stores.users.get("nobody") is None
    assert await stores.users.get_by_email(Email("nobody@example.com")) is None


async def test_a_second_user_with_the_same_email_is_refused(stores: Stores) -> None:
    await stores.users.add(a_user(1))
    twin = replace(a_user(2), email=Email("User1@Example.com"))
    with pytest.raises(EmailTakenError):
        await stores.users.add(twin)
    assert await stores.users.get(twin.id) is None


async def test_an_update_with_the_current_version_replaces_the_user(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    changed = user.changed(
        T0 + timedelta(seconds=5), name="Renamed", email=Email("new@example.com")
    )
    await stores.users.update(changed, expected_version=1)
    assert await stores.users.get(user.id) == changed
    assert await stores.users.get_by_email(Email("new@example.com")) == changed
    assert await stores.users.get_by_email(user.email) is None


async def test_an_update_with_an_old_version_is_refused_and_changes_nothing(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    await stores.users.update(user.changed(T0, name="First"), expected_version=1)
    with pytest.raises(StaleVersionError):
        await stores.users.update(user.changed(T0, name="Second"), expected_version=1)
    stored = await stores.users.get(user.id)
    assert stored is not None
    assert stored.name == "First"
    assert stored.version == 2


async def test_updating_a_missing_user_is_a_stale_version(stores: Stores) -> None:
    with pytest.raises(StaleVersionError):
        await stores.users.update(a_user(), expected_version=1)


async def test_an_update_to_someone_elses_email_is_refused(stores: Stores) -> None:
    first, second = a_user(1), a_user(2)
    await stores.users.add(first)
    await stores.users.add(second)
    with pytest.raises(EmailTakenError):
        await stores.users.update(second.changed(T0, email=first.email), expected_version=1)
    assert await stores.users.get(second.id) == second


async def test_delete_removes_the_user_and_frees_the_email(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    assert await stores.users.delete(user.id) is True
    assert await stores.users.delete(user.id) is False
    assert await stores.users.get(user.id) is None
    await stores.users.add(replace(a_user(2), email=user.email))


async def test_pages_follow_creation_order_and_resume_after_the_cursor(stores: Stores) -> None:
    same_time = [a_user(n, at=T0) for n in (3, 1, 2)]
    later = a_user(4, at=T0 + timedelta(milliseconds=1))
    for user in [later, *same_time]:
        await stores.users.add(user)
    first_page = await stores.users.list_page(2, None)
    assert [u.id for u in first_page] == ["user-001", "user-002"]
    last = first_page[-1]
    rest = await stores.users.list_page(10, (last.created_at.isoformat(), last.id))
    assert [u.id for u in rest] == ["user-003", "user-004"]


async def test_admins_are_counted(stores: Stores) -> None:
    assert await stores.users.count_admins() == 0
    await stores.users.add(a_user(1, role=Role.ADMIN))
    await stores.users.add(a_user(2))
    await stores.users.add(a_user(3, role=Role.ADMIN))
    assert await stores.users.count_admins() == 2


async def test_verification_and_the_second_factor_read_back_equal(stores: Stores) -> None:
    pending = TotpFactor(secret="JBSWY3DPEHPK3PXP")
    user = replace(a_user(), email_verified=True, totp=pending)
    await stores.users.add(user)
    assert await stores.users.get(user.id) == user
    stored = await stores.users.get(user.id)
    assert stored is not None
    assert stored.email_verified is True
    assert stored.totp == pending

    confirmed = replace(
        pending, confirmed=True, last_used_step=59_000_123, backup_code_hashes=("a" * 64, "b" * 64)
    )
    changed = user.changed(T0 + timedelta(seconds=1), totp=confirmed)
    await stores.users.update(changed, expected_version=1)
    stored = await stores.users.get_by_email(user.email)
    assert stored == changed
    assert stored is not None
    assert stored.totp is not None
    assert stored.totp.backup_code_hashes == ("a" * 64, "b" * 64)
    assert stored.two_factor_enabled

    cleared = changed.changed(T0 + timedelta(seconds=2), totp=None, email_verified=False)
    await stores.users.update(cleared, expected_version=2)
    assert await stores.users.get(user.id) == cleared
    assert [u.id for u in await stores.users.list_page(10, None)] == [user.id]
    assert await stores.users.list_page(10, None) == [cleared]


async def test_a_user_stored_before_verification_and_2fa_reads_with_defaults(
    stores: Stores,
) -> None:
    if stores.connection is None:
        pytest.skip("only a document store has documents written by an older version")
    legacy = {
        "_id": "user-001",
        "email": "user1@example.com",
        "name": "User 1",
        "role": "user",
        "password_hash": a_user().password_hash,
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
        "token_version": 1,
    }
    await (await stores.connection.database())[USERS].insert_one(legacy)
    stored = await stores.users.get("user-001")
    assert stored == a_user()
    assert stored is not None
    assert stored.email_verified is False
    assert stored.totp is None
    verified = stored.changed(T0 + timedelta(seconds=1), email_verified=True)
    await stores.users.update(verified, expected_version=1)
    assert await stores.users.get("user-001") == verified
