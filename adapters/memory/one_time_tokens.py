from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.one_time_tokens import OneTimeToken, TokenPurpose


class InMemoryOneTimeTokenRepository:
    """Tokens by hash; consuming has no await between check and write (atomic)."""

    def __init__(self) -> None:
        self._tokens: dict[str, OneTimeToken] = {}

    async def add(self, token: OneTimeToken) -> None:
        self._prune(token.created_at)
        self._tokens[token.token_hash] = token

    async def get(self, token_hash: str, purpose: TokenPurpose) -> OneTimeToken | None:
        token = self._tokens.get(token_hash)
        return token if token is not None and token.purpose is purpose else None

    async def consume(
        self, token_hash: str, purpose: TokenPurpose, now: datetime
    ) -> OneTimeToken | None:
        token = await self.get(token_hash, purpose)
        if token is None or not token.is_usable(now):
            return None
        self._tokens[token_hash] = replace(token, used_at=now)
        return token

    def _prune(self, now: datetime) -> None:
        # What Mongo's TTL index does: expired tokens disappear.
        for key in [k for k, t in self._tokens.items() if t.expires_at <= now]:
            del self._tokens[key]
