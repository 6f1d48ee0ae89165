"""Issuing token pairs and hashing refresh tokens, shared by sign-up, sign-in and refresh."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import IdGenerator
from application.ports.token_issuer import TokenIssuer
from domain.auth import RefreshSession
from domain.users import User


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class SessionLifetimes:
    idle: timedelta = timedelta(days=14)
    absolute: timedelta = timedelta(days=30)
    reuse_grace: timedelta = timedelta(seconds=5)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are stored only as their SHA-256 (they carry ≥256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


class SessionIssuer:
    """Creates the refresh session of a (new or continuing) family and its access token."""

    def __init__(
        self,
        sessions: RefreshSessionRepository,
        tokens: TokenIssuer,
        ids: IdGenerator,
        lifetimes: SessionLifetimes,
    ) -> None:
        self._sessions = sessions
        self._tokens = tokens
        self._ids = ids
        self.lifetimes = lifetimes

    async def start(self, user: User, now: datetime) -> TokenPair:
        """A new family (sign-up, sign-in)."""
        expires = now + self.lifetimes.absolute
        return await self._issue(
            user, now, self._ids.new_id(), min(now + self.lifetimes.idle, expires), expires
        )

    async def continue_family(
        self, user: User, previous: RefreshSession, now: datetime
    ) -> TokenPair:
        """The next session of `previous`'s family (refresh)."""
        expiry = previous.next_expiry(now, self.lifetimes.idle)
        return await self._issue(user, now, previous.family_id, expiry, previous.family_expires_at)

    async def _issue(
        self,
        user: User,
        now: datetime,
        family_id: str,
        expires_at: datetime,
        family_expires_at: datetime,
    ) -> TokenPair:
        refresh_token = self._ids.new_secret()
        await self._sessions.add(
            RefreshSession(
                token_hash=hash_refresh_token(refresh_token),
                family_id=family_id,
                user_id=user.id,
                created_at=now,
                expires_at=expires_at,
                family_expires_at=family_expires_at,
            )
        )
        access_token = self._tokens.issue(user, now, self._ids.new_id())
        return TokenPair(access_token, refresh_token, self._tokens.access_ttl_seconds)
