from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.one_time_tokens import OneTimeToken, TokenPurpose


class OneTimeTokenRepository(Protocol):
    """Single-use tokens keyed by their SHA-256; expired ones may vanish (TTL)."""

    async def add(self, token: OneTimeToken) -> None: ...

    async def get(self, token_hash: str, purpose: TokenPurpose) -> OneTimeToken | None:
        """The token (used or not) if it exists with this purpose."""

    async def consume(
        self, token_hash: str, purpose: TokenPurpose, now: datetime
    ) -> OneTimeToken | None:
        """Atomically mark an unused, unexpired token used and return it; None for every
        other case. Of two concurrent callers, exactly one gets the token."""
