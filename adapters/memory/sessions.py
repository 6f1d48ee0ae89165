from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from domain.auth import RefreshSession


class InMemoryRefreshSessionRepository:
    """Refresh sessions with an atomic spend; expired sessions are pruned as Mongo's TTL would."""

    PRUNE_EVERY = timedelta(minutes=1)

    def __init__(self) -> None:
        self._sessions: dict[str, RefreshSession] = {}
        self._pruned_at: datetime | None = None

    async def add(self, session: RefreshSession) -> None:
        self._sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> RefreshSession | None:
        return self._sessions.get(token_hash)

    async def spend(self, token_hash: str, now: datetime) -> bool:
        session = self._sessions.get(token_hash)
        if session is None or not session.is_live(now):
            return False
        self._sessions[token_hash] = replace(session, spent_at=now)
        self._prune(now)
        return True

    async def revoke_family(self, family_id: str) -> None:
        self._revoke_where(lambda s: s.family_id == family_id)

    async def revoke_user(self, user_id: str, keep_family: str | None = None) -> None:
        self._revoke_where(lambda s: s.user_id == user_id and s.family_id != keep_family)

    async def revoke_user_family(self, user_id: str, family_id: str) -> bool:
        return self._revoke_where(
            lambda s: s.user_id == user_id and s.family_id == family_id and not s.revoked
        )

    async def list_live(self, user_id: str, now: datetime) -> list[RefreshSession]:
        live = [s for s in self._sessions.values() if s.user_id == user_id and s.is_live(now)]
        return sorted(live, key=lambda s: (s.created_at, s.family_id), reverse=True)

    def _revoke_where(self, match: Callable[[RefreshSession], bool]) -> bool:
        found = False
        for key, session in list(self._sessions.items()):
            if match(session):
                self._sessions[key] = replace(session, revoked=True)
                found = True
        return found

    def _prune(self, now: datetime) -> None:
        # A spent session is still needed to detect reuse until its family expires.
        if self._pruned_at is not None and now - self._pruned_at < self.PRUNE_EVERY:
            return
        self._pruned_at = now
        for key, session in list(self._sessions.items()):
            if now >= session.family_expires_at:
                del self._sessions[key]
