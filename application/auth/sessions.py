"""Issuing token pairs and hashing refresh tokens, shared by sign-up, sign-in and refresh."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.context import ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import IdGenerator
from application.ports.token_issuer import TokenIssuer
from application.ports.user_repository import UserRepository
from domain.auth import RefreshSession
from domain.errors import InvalidCredentialsError
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


def hash_secret(token: str) -> str:
    """Refresh and one-time tokens are stored only as their SHA-256: they carry ≥256
    random bits, so a fast hash is enough and lookups stay indexed."""
    return hashlib.sha256(token.encode()).hexdigest()


hash_refresh_token = hash_secret


class SessionIssuer:
    """Creates the refresh session of a (new or continuing) family and its access token.

    Sessions and access tokens carry the user's `token_version`, so a credential change
    (which raises it) ends them all, including one being issued while it ran.
    """

    def __init__(
        self,
        sessions: RefreshSessionRepository,
        tokens: TokenIssuer,
        ids: IdGenerator,
        lifetimes: SessionLifetimes,
        users: UserRepository,
    ) -> None:
        self._sessions = sessions
        self._tokens = tokens
        self._ids = ids
        self.lifetimes = lifetimes
        self._users = users

    async def start(self, user: User, now: datetime, client: ClientInfo) -> TokenPair:
        """A new family (sign-up, sign-in): a new signed-in device.

        `user` is the state whose credentials were checked. A password change, reset or
        other credential change that ran since then revoked the sessions that existed,
        not this one: look again after storing it, and end it if it is behind.
        """
        expires = now + self.lifetimes.absolute
        first = RefreshSession(
            token_hash="",
            family_id=self._ids.new_id(),
            user_id=user.id,
            created_at=now,
            expires_at=min(now + self.lifetimes.idle, expires),
            family_expires_at=expires,
            family_created_at=now,
            device=client.device,
            ip=client.ip,
            token_version=user.token_version,
        )
        tokens = await self._issue(user, first)
        latest = await self._users.get(user.id)
        if latest is None or not first.is_current_for(latest.token_version):
            await self._sessions.revoke_family(first.family_id)
            raise InvalidCredentialsError("The account's credentials changed meanwhile.")
        return tokens

    async def continue_family(
        self, user: User, previous: RefreshSession, now: datetime, client: ClientInfo
    ) -> TokenPair:
        """The next session of `previous`'s family (refresh), seen from `client`'s address."""
        following = replace(
            previous,
            created_at=now,
            expires_at=previous.next_expiry(now, self.lifetimes.idle),
            family_created_at=previous.started_at,
            ip=client.ip,
            spent_at=None,
            revoked=False,
        )
        return await self._issue(user, following)

    async def _issue(self, user: User, session: RefreshSession) -> TokenPair:
        refresh_token = self._ids.new_secret()
        await self._sessions.add(replace(session, token_hash=hash_refresh_token(refresh_token)))
        access_token = self._tokens.issue(
            user, session.created_at, self._ids.new_id(), session.family_id
        )
        return TokenPair(access_token, refresh_token, self._tokens.access_ttl_seconds)
