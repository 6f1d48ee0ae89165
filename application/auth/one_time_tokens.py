"""Issuing and redeeming single-use tokens (verification, reset, sign-in challenge)."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.auth.sessions import hash_secret
from application.ports.one_time_token_repository import OneTimeTokenRepository
from application.ports.system import IdGenerator
from domain.one_time_tokens import OneTimeToken, TokenPurpose
from domain.users import User

MAX_TOKEN_LENGTH = 512


class OneTimeTokens:
    """The raw token goes to the user once; the store keeps only its SHA-256."""

    def __init__(self, repository: OneTimeTokenRepository, ids: IdGenerator) -> None:
        self._repository = repository
        self._ids = ids

    async def issue(
        self, user: User, purpose: TokenPurpose, binding: str, now: datetime, ttl: timedelta
    ) -> str:
        raw = self._ids.new_secret()
        await self._repository.add(
            OneTimeToken(
                token_hash=hash_secret(raw),
                purpose=purpose,
                user_id=user.id,
                binding=binding,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        return raw

    async def peek(self, raw: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """The token if it is still usable, without using it."""
        if not raw or len(raw) > MAX_TOKEN_LENGTH:
            return None
        token = await self._repository.get(hash_secret(raw), purpose)
        return token if token is not None and token.is_usable(now) else None

    async def redeem(self, raw: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken | None:
        """Use the token (once, atomically); None if unknown, used, expired or mistyped."""
        if not raw or len(raw) > MAX_TOKEN_LENGTH:
            return None
        return await self._repository.consume(hash_secret(raw), purpose, now)
