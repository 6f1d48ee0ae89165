"""Ending sessions so that their access tokens stop working at once, not only their
refresh tokens."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock
from application.ports.token_issuer import TokenIssuer
from application.ports.user_repository import UserRepository
from application.users.writes import update_latest


class SessionEnding:
    """A session is a refresh-token family; its access tokens are self-contained JWTs.

    Revoking the family stops its refresh token. Its access tokens, which every request
    checks against the user it loads anyway, stop by the family's entry in the user's
    `revoked_sessions`, kept as long as such a token is accepted. If that bounded list is
    full (dozens of sign-outs within one access-token lifetime), every session of the
    user ends instead: never a revoked session's token that still works.
    """

    def __init__(
        self,
        sessions: RefreshSessionRepository,
        users: UserRepository,
        tokens: TokenIssuer,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._users = users
        self._tokens = tokens
        self._clock = clock

    async def end_family(self, user_id: str, family_id: str) -> None:
        await self._sessions.revoke_family(family_id)
        await self.refuse_access_tokens(user_id, [family_id])

    async def refuse_access_tokens(self, user_id: str, family_ids: Collection[str]) -> None:
        """Make the access tokens of these (already revoked) families fail at once."""
        if not family_ids:
            return
        now = self._clock.now()
        until = now + timedelta(seconds=self._tokens.accepted_lifetime_seconds)
        if await self._users.revoke_sessions(user_id, family_ids, until, now):
            return
        user = await self._users.get(user_id)
        if user is not None:
            await update_latest(
                self._users, user, lambda u: u.with_new_credentials(self._clock.now())
            )
        await self._sessions.revoke_user(user_id)

    async def end_all(self, user_id: str) -> None:
        """After a credential change raised the user's token version (which already
        refuses every access token and refresh issued before): revoke the families too,
        so no stale session is listed or left for the store to hold."""
        await self._sessions.revoke_user(user_id)
