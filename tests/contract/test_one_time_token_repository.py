from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.one_time_tokens import OneTimeToken, TokenPurpose
from tests.contract.conftest import Stores

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

# Relative to the real time (Mongo's TTL index removes expired tokens), truncated to the
# millisecond that BSON dates keep.
_now = datetime.now(UTC)
NOW = _now.replace(microsecond=_now.microsecond // 1000 * 1000)


def a_token(
    token_hash: str = "t1",  # noqa: S107 - a hash id, not a password
    purpose: TokenPurpose = TokenPurpose.RESET_PASSWORD,
    user: str = "u1",
) -> OneTimeToken:
    return OneTimeToken(
        token_hash=token_hash,
        purpose=purpose,
        user_id=user,
        binding="3",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
    )


async def test_a_stored_token_reads_back_equal_for_its_purpose_only(stores: Stores) -> None:
    token = a_token()
    await stores.tokens.add(token)
    stored = await stores.tokens.get("t1", TokenPurpose.RESET_PASSWORD)
    assert stored == token
    assert stored is not None
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert (stored.created_at, stored.expires_at) == (token.created_at, token.expires_at)
    assert await stores.tokens.get("t1", TokenPurpose.VERIFY_EMAIL) is None
    assert await stores.tokens.get("unknown", TokenPurpose.RESET_PASSWORD) is None


async def test_tokens_of_each_purpose_are_kept_apart(stores: Stores) -> None:
    for n, purpose in enumerate(TokenPurpose):
        await stores.tokens.add(a_token(f"t{n}", purpose))
    for n, purpose in enumerate(TokenPurpose):
        assert await stores.tokens.get(f"t{n}", purpose) == a_token(f"t{n}", purpose)
        assert await stores.tokens.consume(f"t{n}", purpose, NOW) == a_token(f"t{n}", purpose)


async def test_a_token_is_consumed_exactly_once(stores: Stores) -> None:
    token = a_token()
    await stores.tokens.add(token)
    used_at = NOW + timedelta(minutes=1)
    assert await stores.tokens.consume("t1", TokenPurpose.RESET_PASSWORD, used_at) == token
    assert await stores.tokens.consume("t1", TokenPurpose.RESET_PASSWORD, used_at) is None
    stored = await stores.tokens.get("t1", TokenPurpose.RESET_PASSWORD)
    assert stored is not None
    assert stored.used_at == used_at
    assert stored.used_at.tzinfo is not None
    assert stored.used_at.utcoffset() == timedelta(0)
    assert not stored.is_usable(used_at)


async def test_a_token_of_another_purpose_cannot_be_consumed(stores: Stores) -> None:
    await stores.tokens.add(a_token())
    assert await stores.tokens.consume("t1", TokenPurpose.VERIFY_EMAIL, NOW) is None
    assert await stores.tokens.get("t1", TokenPurpose.RESET_PASSWORD) == a_token()


async def test_expired_and_unknown_tokens_cannot_be_consumed(stores: Stores) -> None:
    await stores.tokens.add(a_token())
    expiry = a_token().expires_at
    assert await stores.tokens.consume("t1", TokenPurpose.RESET_PASSWORD, expiry) is None
    later = expiry + timedelta(seconds=1)
    assert await stores.tokens.consume("t1", TokenPurpose.RESET_PASSWORD, later) is None
    assert await stores.tokens.consume("unknown", TokenPurpose.RESET_PASSWORD, NOW) is None
    # A failed attempt leaves the token untouched.
    assert await stores.tokens.get("t1", TokenPurpose.RESET_PASSWORD) == a_token()


async def test_concurrent_consumes_of_one_token_have_one_winner(stores: Stores) -> None:
    token = a_token(purpose=TokenPurpose.TWO_FACTOR_CHALLENGE)
    await stores.tokens.add(token)
    results = await asyncio.gather(
        *(stores.tokens.consume("t1", TokenPurpose.TWO_FACTOR_CHALLENGE, NOW) for _ in range(10))
    )
    winners = [r for r in results if r is not None]
    assert winners == [token]
