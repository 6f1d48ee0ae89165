from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.mongo.connection import SESSIONS
from domain.auth import RefreshSession
from tests.contract.conftest import Stores

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

# Relative to the real time: Mongo's TTL index removes documents whose expiry has passed.
NOW = datetime.now(UTC).replace(microsecond=0)


def a_session(
    token_hash: str = "h1",  # noqa: S107 - a hash id, not a password
    family: str = "f1",
    user: str = "u1",
) -> RefreshSession:
    return RefreshSession(
        token_hash=token_hash,
        family_id=family,
        user_id=user,
        created_at=NOW,
        expires_at=NOW + timedelta(days=14),
        family_expires_at=NOW + timedelta(days=30),
    )


async def test_a_stored_session_reads_back_equal(stores: Stores) -> None:
    session = a_session()
    await stores.sessions.add(session)
    assert await stores.sessions.get("h1") == session
    assert await stores.sessions.get("unknown") is None


async def test_a_live_session_is_spent_exactly_once(stores: Stores) -> None:
    await stores.sessions.add(a_session())
    assert await stores.sessions.spend("h1", NOW) is True
    assert await stores.sessions.spend("h1", NOW) is False
    stored = await stores.sessions.get("h1")
    assert stored is not None
    assert stored.spent_at == NOW


async def test_concurrent_spends_of_one_session_have_one_winner(stores: Stores) -> None:
    await stores.sessions.add(a_session())
    results = await asyncio.gather(*(stores.sessions.spend("h1", NOW) for _ in range(10)))
    assert results.count(True) == 1


async def test_expired_revoked_and_unknown_sessions_cannot_be_spent(stores: Stores) -> None:
    await stores.sessions.add(a_session("old"))
    await stores.sessions.add(a_session("revoked", family="f2"))
    await stores.sessions.revoke_family("f2")
    assert await stores.sessions.spend("old", NOW + timedelta(days=15)) is False
    assert await stores.sessions.spend("revoked", NOW) is False
    assert await stores.sessions.spend("unknown", NOW) is False


async def test_revoking_a_family_revokes_all_of_it_and_nothing_else(stores: Stores) -> None:
    await stores.sessions.add(a_session("a1", family="A"))
    await stores.sessions.add(a_session("a2", family="A"))
    await stores.sessions.add(a_session("b1", family="B"))
    await stores.sessions.revoke_family("A")
    revoked = [(await stores.sessions.get(h)).revoked for h in ("a1", "a2", "b1")]
    assert revoked == [True, True, False]


async def test_revoking_a_user_revokes_every_family_of_that_user_only(stores: Stores) -> None:
    await stores.sessions.add(a_session("a", family="A", user="u1"))
    await stores.sessions.add(a_session("b", family="B", user="u1"))
    await stores.sessions.add(a_session("c", family="C", user="u2"))
    await stores.sessions.revoke_user("u1")
    revoked = [(await stores.sessions.get(h)).revoked for h in ("a", "b", "c")]
    assert revoked == [True, True, False]


def a_device_session(
    token_hash: str,
    family: str,
    user: str = "u1",
    used: timedelta = timedelta(0),
) -> RefreshSession:
    """A session of a signed-in device, last used `used` after NOW."""
    return replace(
        a_session(token_hash, family, user),
        created_at=NOW + used,
        family_created_at=NOW - timedelta(hours=1),
        device="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        ip="203.0.113.7",
    )


async def test_the_device_fields_read_back_and_survive_spending(stores: Stores) -> None:
    session = a_device_session("h1", "f1")
    await stores.sessions.add(session)
    assert await stores.sessions.get("h1") == session
    assert await stores.sessions.spend("h1", NOW) is True
    assert await stores.sessions.get("h1") == replace(session, spent_at=NOW)


async def test_a_session_stored_before_device_fields_reads_with_defaults(stores: Stores) -> None:
    if stores.connection is None:
        pytest.skip("only a document store has documents written by an older version")
    legacy = {
        "_id": "legacy",
        "family_id": "f1",
        "user_id": "u1",
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=14),
        "family_expires_at": NOW + timedelta(days=30),
        "spent_at": None,
        "revoked": False,
    }
    await (await stores.connection.database())[SESSIONS].insert_one(legacy)
    expected = a_session("legacy")
    assert await stores.sessions.get("legacy") == expected
    assert (expected.family_created_at, expected.device, expected.ip) == (None, "", "")
    assert await stores.sessions.list_live("u1", NOW) == [expected]
    assert await stores.sessions.spend("legacy", NOW) is True
    assert await stores.sessions.get("legacy") == replace(expected, spent_at=NOW)


async def test_revoking_a_user_can_keep_one_family(stores: Stores) -> None:
    await stores.sessions.add(a_session("a1", family="A", user="u1"))
    await stores.sessions.add(a_session("a2", family="A", user="u1"))
    await stores.sessions.add(a_session("b", family="B", user="u1"))
    await stores.sessions.add(a_session("c", family="C", user="u2"))
    await stores.sessions.revoke_user("u1", keep_family="A")
    revoked = [(await stores.sessions.get(h)).revoked for h in ("a1", "a2", "b", "c")]
    assert revoked == [False, False, True, False]


async def test_revoking_one_family_of_a_user(stores: Stores) -> None:
    await stores.sessions.add(a_session("a1", family="A", user="u1"))
    await stores.sessions.add(a_session("a2", family="A", user="u1"))
    await stores.sessions.add(a_session("b", family="B", user="u1"))
    assert await stores.sessions.revoke_user_family("u1", "A") is True
    revoked = [(await stores.sessions.get(h)).revoked for h in ("a1", "a2", "b")]
    assert revoked == [True, True, False]
    # Already revoked, or unknown: nothing left to revoke.
    assert await stores.sessions.revoke_user_family("u1", "A") is False
    assert await stores.sessions.revoke_user_family("u1", "unknown") is False


async def test_revoking_a_spent_family_still_counts(stores: Stores) -> None:
    await stores.sessions.add(a_session("a1", family="A"))
    assert await stores.sessions.spend("a1", NOW) is True
    assert await stores.sessions.revoke_user_family("u1", "A") is True
    assert (await stores.sessions.get("a1")).revoked is True


async def test_a_user_cannot_revoke_another_users_family(stores: Stores) -> None:
    await stores.sessions.add(a_session("c", family="C", user="u2"))
    assert await stores.sessions.revoke_user_family("u1", "C") is False
    assert await stores.sessions.get("c") == a_session("c", family="C", user="u2")


async def test_live_sessions_are_listed_most_recently_used_first(stores: Stores) -> None:
    # Family A was refreshed: its first token is spent, the second is live.
    await stores.sessions.add(a_device_session("a1", "A", used=timedelta(minutes=1)))
    assert await stores.sessions.spend("a1", NOW + timedelta(minutes=2)) is True
    await stores.sessions.add(a_device_session("a2", "A", used=timedelta(minutes=2)))
    # B and C were last used at the same moment: the family id breaks the tie.
    await stores.sessions.add(a_device_session("b", "B", used=timedelta(minutes=3)))
    await stores.sessions.add(a_device_session("c", "C", used=timedelta(minutes=3)))
    await stores.sessions.add(a_device_session("d", "D", used=timedelta(minutes=5)))
    # Not live: revoked, idle-expired, another user's.
    await stores.sessions.add(a_device_session("r", "R", used=timedelta(minutes=9)))
    await stores.sessions.revoke_family("R")
    expired = replace(a_device_session("x", "X"), expires_at=NOW + timedelta(minutes=4))
    await stores.sessions.add(expired)
    await stores.sessions.add(a_device_session("o", "O", user="u2", used=timedelta(minutes=9)))

    live = await stores.sessions.list_live("u1", NOW + timedelta(minutes=4))
    assert [s.token_hash for s in live] == ["d", "c", "b", "a2"]
    assert live[-1] == a_device_session("a2", "A", used=timedelta(minutes=2))
    assert await stores.sessions.list_live("nobody", NOW) == []
