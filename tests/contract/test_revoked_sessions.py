"""`UserRepository.revoke_sessions` and the credential version of sessions, on every
adapter: the bookkeeping that makes sign-out and revocation end access tokens at once
(SECURITY.md, "Credential changes and re-authentication")."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.mongo.connection import SESSIONS
from domain.auth import RefreshSession
from domain.errors import StaleVersionError
from domain.users import MAX_REVOKED_SESSIONS, RevokedSession
from tests.contract.conftest import Stores
from tests.contract.test_user_repository import T0, a_user

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

UNTIL = T0 + timedelta(minutes=16)


async def test_revoked_sessions_are_added_without_changing_the_user(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)

    assert await stores.users.revoke_sessions(user.id, ["f1", "f2"], UNTIL, T0) is True

    stored = await stores.users.get(user.id)
    assert stored is not None
    assert stored.session_revoked("f1")
    assert stored.session_revoked("f2")
    assert not stored.session_revoked("f3")
    assert replace(stored, revoked_sessions=()) == user  # version, updated_at: unchanged


async def test_entries_past_their_time_are_dropped_and_a_repeat_keeps_the_later_time(
    stores: Stores,
) -> None:
    user = a_user()
    await stores.users.add(user)
    await stores.users.revoke_sessions(user.id, ["old"], T0 + timedelta(minutes=1), T0)
    await stores.users.revoke_sessions(user.id, ["kept"], UNTIL, T0)

    later = T0 + timedelta(minutes=2)
    await stores.users.revoke_sessions(user.id, ["kept"], later + timedelta(minutes=1), later)

    stored = await stores.users.get(user.id)
    assert stored is not None
    assert stored.revoked_sessions == (RevokedSession("kept", UNTIL),)


async def test_a_full_list_refuses_and_writes_nothing(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    families = [f"f{n}" for n in range(MAX_REVOKED_SESSIONS)]
    assert await stores.users.revoke_sessions(user.id, families, UNTIL, T0) is True

    assert await stores.users.revoke_sessions(user.id, ["one-more"], UNTIL, T0) is False

    stored = await stores.users.get(user.id)
    assert stored is not None
    assert len(stored.revoked_sessions) == MAX_REVOKED_SESSIONS
    assert not stored.session_revoked("one-more")


async def test_an_unknown_user_has_nothing_to_revoke(stores: Stores) -> None:
    assert await stores.users.revoke_sessions("nobody", ["f1"], UNTIL, T0) is True
    assert await stores.users.get("nobody") is None


async def test_an_update_keeps_revocations_made_since_its_read(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    read = await stores.users.get(user.id)
    assert read is not None
    await stores.users.revoke_sessions(user.id, ["f1"], UNTIL, T0)

    renamed = read.changed(T0 + timedelta(seconds=1), name="Renamed")
    await stores.users.update(renamed, expected_version=1)

    stored = await stores.users.get(user.id)
    assert stored is not None
    assert stored.name == "Renamed"
    assert stored.session_revoked("f1")
    with pytest.raises(StaleVersionError):
        await stores.users.update(renamed.changed(T0, name="Stale"), expected_version=1)


async def test_concurrent_revocations_and_updates_lose_nothing(stores: Stores) -> None:
    user = a_user()
    await stores.users.add(user)
    renamed = user.changed(T0 + timedelta(seconds=1), name="Renamed")

    results = await asyncio.gather(
        *(stores.users.revoke_sessions(user.id, [f"f{n}"], UNTIL, T0) for n in range(8)),
        stores.users.update(renamed, expected_version=1),
    )

    assert results[:8] == [True] * 8
    stored = await stores.users.get(user.id)
    assert stored is not None
    assert (stored.name, stored.version) == ("Renamed", 2)
    assert {r.family_id for r in stored.revoked_sessions} == {f"f{n}" for n in range(8)}


async def test_a_session_keeps_the_credential_version_it_was_issued_under(
    stores: Stores,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    session = RefreshSession(
        token_hash="h1",
        family_id="f1",
        user_id="u1",
        created_at=now,
        expires_at=now + timedelta(days=14),
        family_expires_at=now + timedelta(days=30),
        token_version=7,
    )
    await stores.sessions.add(session)

    stored = await stores.sessions.get("h1")
    assert stored == session
    assert stored is not None
    assert stored.is_current_for(7)
    assert not stored.is_current_for(8)


async def test_a_session_stored_before_versions_is_current_for_no_user(stores: Stores) -> None:
    if stores.connection is None:
        pytest.skip("only a document store has documents written by an older version")
    now = datetime.now(UTC).replace(microsecond=0)
    legacy = {
        "_id": "h-legacy",
        "family_id": "f1",
        "user_id": "u1",
        "created_at": now,
        "expires_at": now + timedelta(days=14),
        "family_expires_at": now + timedelta(days=30),
        "spent_at": None,
        "revoked": False,
    }
    await (await stores.connection.database())[SESSIONS].insert_one(legacy)

    stored = await stores.sessions.get("h-legacy")
    assert stored is not None
    assert stored.token_version == 0
    assert not stored.is_current_for(1)
