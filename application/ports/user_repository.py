from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from domain.users import Email, User


class UserRepository(Protocol):
    """Users keyed by id, with a unique normalized email and optimistic versions."""

    async def add(self, user: User) -> None:
        """Store a new user; `EmailTakenError` when the email is in use."""

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: Email) -> User | None: ...

    async def update(self, user: User, expected_version: int) -> None:
        """Replace the stored user if its version is still `expected_version`.

        `StaleVersionError` when it is not (or the user is gone), `EmailTakenError`
        when the new email belongs to someone else. The stored `revoked_sessions` stay
        as they are, whatever `user` carries (a concurrent `revoke_sessions` is kept).
        """

    async def revoke_sessions(
        self, user_id: str, family_ids: Collection[str], until: datetime, now: datetime
    ) -> bool:
        """Atomically add `family_ids` to the user's `revoked_sessions` until `until`
        (`domain.users.add_revoked_sessions`), changing nothing else (not the version).

        False, writing nothing, when the bounded list has no room; True otherwise,
        including for an unknown user (no token of theirs works anyway).
        """

    async def delete(self, user_id: str) -> bool:
        """Remove the user; False when there was none."""

    async def list_page(self, limit: int, after: tuple[str, str] | None) -> list[User]:
        """Up to `limit` users in creation order, after the (created_at ISO, id) cursor."""

    async def count_admins(self) -> int: ...
