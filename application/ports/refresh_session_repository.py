from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.auth import RefreshSession


class RefreshSessionRepository(Protocol):
    """Refresh-token sessions keyed by token hash and grouped in families."""

    async def add(self, session: RefreshSession) -> None: ...

    async def get(self, token_hash: str) -> RefreshSession | None: ...

    async def spend(self, token_hash: str, now: datetime) -> bool:
        """Atomically mark a live session spent; True only for the one caller that won."""

    async def revoke_family(self, family_id: str) -> None: ...

    async def revoke_user(self, user_id: str, keep_family: str | None = None) -> None:
        """Revoke every family of the user (password change, deletion), except
        `keep_family` when given (sign out everywhere else)."""

    async def revoke_user_family(self, user_id: str, family_id: str) -> bool:
        """Revoke one family if it belongs to the user; False when the family is unknown,
        someone else's, or revoked already."""

    async def list_live(self, user_id: str, now: datetime) -> list[RefreshSession]:
        """The live (unspent, unrevoked, unexpired) session of each of the user's
        families, most recently used first."""
