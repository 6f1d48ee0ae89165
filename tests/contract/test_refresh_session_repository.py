from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

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
    revoked = [(await stores.sessions.get(h)).revoked for h in ("a1", "a2", "b1")]  # type: ignore[union-attr]
    assert revoked == [True, True, False]


async def test_revoking_a_user_revokes_every_family_of_that_user_only(stores: Stores) -> None:
    await stores.sessions.add(a_session("a", family="A", user="u1"))
    await stores.sessions.add(a_session("b", family="B", user="u1"))
    await stores.sessions.add(a_session("c", family="C", user="u2"))
    await stores.sessions.revoke_user("u1")
    revoked = [(await stores.sessions.get(h)).revoked for h in ("a", "b", "c")]  # type: ignore[union-attr]
    assert revoked == [True, True, False]
