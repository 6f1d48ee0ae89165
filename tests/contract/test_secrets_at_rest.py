"""TOTP secrets at rest in MongoDB (PyMongo and Motor over TCP to nx-27017, or
MONGODB_TEST_URI): what the driver reads back is sealed, plaintext from older versions
and values under a previous key are sealed again on read, and what cannot be opened
fails closed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import pytest

from adapters.mongo.connection import USERS, MongoConfig, MongoConnection
from adapters.mongo.embedded import EmbeddedMongo
from adapters.mongo.users import MongoUserRepository
from adapters.security.local_keys import LocalKeyWrapper
from adapters.security.sealing import DataKey, EnvelopeSealer, KeyServiceError
from domain.errors import StoreUnavailableError
from domain.two_factor import TotpFactor
from domain.users import Email, Role, User
from tests.conftest import mongo_test_uri, unique_database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

T0 = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def a_user(n: int = 1, secret: str = SECRET) -> User:
    return User(
        id=f"user-{n:03d}",
        email=Email(f"user{n}@example.com"),
        name=f"User {n}",
        role=Role.USER,
        password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        created_at=T0,
        updated_at=T0,
        totp=TotpFactor(secret=secret, confirmed=True, backup_code_hashes=("a" * 64,)),
    )


@dataclass
class Store:
    connection: MongoConnection
    key: LocalKeyWrapper

    def users(self, current: Any = None, previous: tuple[Any, ...] = ()) -> MongoUserRepository:
        """A repository sealing under `current` (this store's key unless given)."""
        return MongoUserRepository(self.connection, EnvelopeSealer(current or self.key, previous))

    async def raw(self, user_id: str) -> dict[str, Any]:
        doc: dict[str, Any] | None = await (await self.connection.database())[USERS].find_one(
            {"_id": user_id}
        )
        assert doc is not None
        return doc

    async def set_raw(self, user_id: str, changes: dict[str, Any]) -> None:
        await (await self.connection.database())[USERS].update_one({"_id": user_id}, changes)


@pytest.fixture(params=["pymongo", "motor"])
async def store(request: pytest.FixtureRequest, nx_server: EmbeddedMongo) -> AsyncIterator[Store]:
    name = unique_database()
    connection = MongoConnection(
        MongoConfig(uri=mongo_test_uri(nx_server), database=name, driver=request.param)
    )
    yield Store(connection, LocalKeyWrapper.ephemeral())
    await connection.client().drop_database(name)
    await connection.close()


def holds(doc: dict[str, Any], secret: str) -> bool:
    """Whether the secret is anywhere in the document as the driver stores it."""
    return secret.encode() in bson.encode(doc)


def legacy_document(user: User) -> dict[str, Any]:
    """A user as versions before sealing stored it: the TOTP secret in plaintext."""
    assert user.totp is not None
    return {
        "_id": user.id,
        "email": user.email.value,
        "name": user.name,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
        "token_version": user.token_version,
        "email_verified": user.email_verified,
        "totp": {
            "secret": user.totp.secret,
            "confirmed": user.totp.confirmed,
            "last_used_step": user.totp.last_used_step,
            "backup_code_hashes": list(user.totp.backup_code_hashes),
        },
    }


async def test_stored_documents_never_hold_the_secret_in_plaintext(store: Store) -> None:
    users = store.users()
    user = a_user()
    await users.add(user)
    added = await store.raw(user.id)
    changed = user.changed(T0 + timedelta(seconds=1), totp=user.totp.after_code(59_000_000))  # type: ignore[union-attr]
    await users.update(changed, expected_version=1)
    updated = await store.raw(user.id)

    for doc in (added, updated):
        assert not holds(doc, SECRET)
        assert "secret" not in doc["totp"]
        assert doc["totp"]["sealed_secret"].startswith(f"v1.{await store.key.key_id()}.")
    assert await users.get(user.id) == changed
    assert await users.get_by_email(user.email) == changed
    assert await users.list_page(10, None) == [changed]


async def test_a_plaintext_secret_of_an_older_version_is_sealed_on_first_read(
    store: Store,
) -> None:
    user = a_user()
    await (await store.connection.database())[USERS].insert_one(legacy_document(user))
    assert holds(await store.raw(user.id), SECRET)

    read = await store.users().get(user.id)

    assert read == user
    migrated = await store.raw(user.id)
    assert not holds(migrated, SECRET)
    assert "secret" not in migrated["totp"]
    # Nothing the user did changed: no new version, no new `updated_at`.
    assert migrated["version"] == 1
    assert migrated["updated_at"] == T0
    assert migrated["totp"]["backup_code_hashes"] == ["a" * 64]
    assert await store.users().get_by_email(user.email) == user
    assert await store.raw(user.id) == migrated  # sealed once, then left alone


async def test_each_read_path_migrates_a_plaintext_secret(store: Store) -> None:
    users = store.users()
    readers: list[Callable[[User], Awaitable[Any]]] = [
        lambda u: users.get(u.id),
        lambda u: users.get_by_email(u.email),
        lambda u: users.list_page(10, None),
    ]
    for n, read in enumerate(readers, start=1):
        user = a_user(n, secret=f"{SECRET[:-1]}{n}")
        await (await store.connection.database())[USERS].insert_one(legacy_document(user))
        await read(user)
        assert not holds(await store.raw(user.id), user.totp.secret)  # type: ignore[union-attr]


async def test_migration_never_overwrites_a_concurrent_change(store: Store) -> None:
    user = a_user()
    await (await store.connection.database())[USERS].insert_one(legacy_document(user))

    class RacingSealer(EnvelopeSealer):
        """Another writer changes the user while this read seals the legacy secret."""

        async def seal(self, plaintext: str, context: str) -> str:
            await store.set_raw(user.id, {"$set": {"name": "Renamed elsewhere", "version": 2}})
            return await super().seal(plaintext, context)

    read = await MongoUserRepository(store.connection, RacingSealer(store.key)).get(user.id)

    assert read == user  # the read still answers with what it read
    doc = await store.raw(user.id)
    assert doc["name"] == "Renamed elsewhere"
    assert doc["version"] == 2
    assert doc["totp"]["secret"] == SECRET  # left for the next read to migrate
    assert "sealed_secret" not in doc["totp"]
    again = await store.users().get(user.id)
    assert again is not None
    assert again.totp == user.totp
    assert not holds(await store.raw(user.id), SECRET)


async def test_after_a_key_rotation_values_are_sealed_again_under_the_new_key(
    store: Store,
) -> None:
    old = store.key
    user = a_user()
    await store.users(old).add(user)
    new = LocalKeyWrapper.ephemeral()

    read = await store.users(new, previous=(old,)).get(user.id)

    assert read == user
    resealed = await store.raw(user.id)
    assert resealed["totp"]["sealed_secret"].split(".")[1] == await new.key_id()
    assert resealed["version"] == 1
    # The old key can now be dropped from the list.
    assert await store.users(new).get(user.id) == user


@pytest.mark.parametrize(
    "damage",
    [
        "moved",  # another user's sealed secret copied in
        "tampered",
        "unknown format",
        "unknown key",
        "not a string",
        "missing",
    ],
)
async def test_a_secret_that_cannot_be_opened_fails_closed_and_stays_as_it_is(
    store: Store, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    users = store.users()
    victim, other = a_user(1), a_user(2, secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    await users.add(victim)
    await users.add(other)
    sealed = (await store.raw(victim.id))["totp"]["sealed_secret"]
    stored: Any = {
        "moved": (await store.raw(other.id))["totp"]["sealed_secret"],
        "tampered": sealed[:-6] + ("AAAAAA" if not sealed.endswith("AAAAAA") else "BBBBBB"),
        "unknown format": "v9." + sealed[3:],
        "unknown key": await EnvelopeSealer(LocalKeyWrapper.ephemeral()).seal(
            SECRET, "users/user-001/totp.secret"
        ),
        "not a string": 12345,
        "missing": None,
    }[damage]
    change = (
        {"$unset": {"totp.sealed_secret": ""}}
        if stored is None
        else {"$set": {"totp.sealed_secret": stored}}
    )
    await store.set_raw(victim.id, change)
    before = await store.raw(victim.id)

    with caplog.at_level(logging.ERROR, logger="adapters.mongo"):
        for read in (users.get(victim.id), users.get_by_email(victim.email)):
            with pytest.raises(StoreUnavailableError):
                await read
        with pytest.raises(StoreUnavailableError):
            await users.list_page(10, None)

    assert await store.raw(victim.id) == before
    assert await users.get(other.id) == other  # other users are not affected
    records = [r for r in caplog.records if r.getMessage() == "sealed_secret_unreadable"]
    assert records
    assert {r.user_id for r in records} == {victim.id}  # type: ignore[attr-defined]
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert SECRET not in logged
    assert not isinstance(stored, str) or stored not in logged


class DownWrapper:
    """A key service that does not answer."""

    async def key_id(self) -> str:
        return "arn:aws:kms:eu-west-1:123456789012:key/down"

    async def new_data_key(self) -> DataKey:
        raise KeyServiceError("KMS generate_data_key: EndpointConnectionError")

    async def unwrap(self, wrapped: bytes) -> bytes:
        raise KeyServiceError("KMS decrypt: EndpointConnectionError")


async def test_a_key_service_that_does_not_answer_is_a_store_outage(store: Store) -> None:
    down = store.users(DownWrapper())
    user = a_user()

    with pytest.raises(StoreUnavailableError):
        await down.add(user)
    assert await (await store.connection.database())[USERS].count_documents({}) == 0

    await store.users().add(user)
    with pytest.raises(StoreUnavailableError):
        await store.users(DownWrapper(), previous=(store.key,)).update(
            user.changed(T0, name="Renamed"), expected_version=1
        )
    assert (await store.raw(user.id))["name"] == user.name
    # Users without a second factor never touch the key service.
    plain = replace(a_user(2), totp=None)
    await down.add(plain)
    assert await down.get(plain.id) == plain


async def test_a_legacy_secret_is_still_read_when_the_key_service_is_down(store: Store) -> None:
    user = a_user()
    await (await store.connection.database())[USERS].insert_one(legacy_document(user))

    assert await store.users(DownWrapper()).get(user.id) == user
    assert holds(await store.raw(user.id), SECRET)  # migrates on a later read
    await store.users().get(user.id)
    assert not holds(await store.raw(user.id), SECRET)
