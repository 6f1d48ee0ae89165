from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from domain.errors import EmailTakenError, StaleVersionError
from domain.users import Email, Role, User, add_revoked_sessions


class InMemoryUserRepository:
    """Behaves like the Mongo adapter: unique email, version-checked updates.

    No awaits happen between check and write, so each method is atomic on one event loop.
    Users live in this process's memory and die with it: nothing is at rest, so TOTP
    secrets are kept as they are, not sealed as the Mongo adapter seals them.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, User] = {}
        self._id_by_email: dict[str, str] = {}

    async def add(self, user: User) -> None:
        if user.email.value in self._id_by_email:
            raise EmailTakenError
        self._by_id[user.id] = user
        self._id_by_email[user.email.value] = user.id

    async def get(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    async def get_by_email(self, email: Email) -> User | None:
        user_id = self._id_by_email.get(email.value)
        return self._by_id.get(user_id) if user_id else None

    async def update(self, user: User, expected_version: int) -> None:
        current = self._by_id.get(user.id)
        if current is None or current.version != expected_version:
            raise StaleVersionError
        owner = self._id_by_email.get(user.email.value)
        if owner is not None and owner != user.id:
            raise EmailTakenError
        del self._id_by_email[current.email.value]
        self._id_by_email[user.email.value] = user.id
        self._by_id[user.id] = replace(user, revoked_sessions=current.revoked_sessions)

    async def revoke_sessions(
        self, user_id: str, family_ids: Collection[str], until: datetime, now: datetime
    ) -> bool:
        current = self._by_id.get(user_id)
        if current is None:
            return True
        revoked = add_revoked_sessions(current.revoked_sessions, family_ids, until, now)
        if revoked is None:
            return False
        self._by_id[user_id] = replace(current, revoked_sessions=revoked)
        return True

    async def delete(self, user_id: str) -> bool:
        user = self._by_id.pop(user_id, None)
        if user is None:
            return False
        del self._id_by_email[user.email.value]
        return True

    async def list_page(self, limit: int, after: tuple[str, str] | None) -> list[User]:
        ordered = sorted(self._by_id.values(), key=lambda u: (u.created_at, u.id))
        if after is not None:
            ordered = [u for u in ordered if (u.created_at.isoformat(), u.id) > after]
        return ordered[:limit]

    async def count_admins(self) -> int:
        return sum(1 for u in self._by_id.values() if u.role is Role.ADMIN)
