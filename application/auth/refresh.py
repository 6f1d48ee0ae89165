from __future__ import annotations

import logging
from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.sessions import SessionIssuer, TokenPair, hash_refresh_token
from application.context import NO_CLIENT, ClientInfo
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.sessions.ending import SessionEnding
from domain.audit import AuditEventType
from domain.errors import AuthenticationError, RefreshReuseError

log = logging.getLogger("auth.refresh")


@dataclass(frozen=True, slots=True)
class RefreshCommand:
    refresh_token: str
    client: ClientInfo = NO_CLIENT


class Refresh:
    """Rotate a refresh token: spend the presented one, issue the next of its family.

    Rules: only a live (unspent, unrevoked, unexpired) token works, and spending it is
    an atomic compare-and-set, so two concurrent refreshes yield one new pair. A spent
    token presented again after the grace window means it leaked: its whole family is
    revoked. Within the grace window (a client retrying a lost response, or a race) the
    request fails without revoking. The user must still exist, and the session must
    have been issued under the user's current credentials (`token_version`): a password
    change, reset, two-factor or role change ends it. A revocation racing the rotation
    wins: the new token is never left live. Ending a family (reuse) also ends its
    access tokens at once.
    """

    def __init__(
        self,
        users: UserRepository,
        sessions: RefreshSessionRepository,
        issuer: SessionIssuer,
        ending: SessionEnding,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._auditor = auditor
        self._users = users
        self._sessions = sessions
        self._issuer = issuer
        self._ending = ending
        self._clock = clock

    async def execute(self, command: RefreshCommand) -> TokenPair:
        now = self._clock.now()
        session = await self._sessions.get(hash_refresh_token(command.refresh_token))
        if session is None or session.revoked:
            raise AuthenticationError
        if session.spent_at is not None:
            if now - session.spent_at > self._issuer.lifetimes.reuse_grace:
                await self._ending.end_family(session.user_id, session.family_id)
                log.warning(
                    "refresh_reuse",
                    extra={"user_id": session.user_id, "family_id": session.family_id},
                )
                await self._auditor.record(
                    AuditEventType.REFRESH_REUSED,
                    session.user_id,
                    command.client,
                    session_id=session.family_id,
                )
                raise RefreshReuseError
            raise AuthenticationError
        if now >= session.expires_at:
            raise AuthenticationError
        user = await self._users.get(session.user_id)
        if user is None:
            raise AuthenticationError
        if not session.is_current_for(user.token_version):
            await self._sessions.revoke_family(session.family_id)
            raise AuthenticationError
        if not await self._sessions.spend(session.token_hash, now):
            raise AuthenticationError
        tokens = await self._issuer.continue_family(user, session, now, command.client)
        # A revocation (sign-out of this device, password change or reset, deletion) that
        # ran between the spend and the insert marked the spent token but not the new
        # one: look again, and end the family if so. Revocations after the insert mark
        # the new token themselves.
        spent = await self._sessions.get(session.token_hash)
        if spent is None or spent.revoked:
            await self._sessions.revoke_family(session.family_id)
            raise AuthenticationError
        return tokens
