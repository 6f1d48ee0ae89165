"""Changing a user whom a concurrent request may be changing too."""

from __future__ import annotations

from collections.abc import Callable

from application.ports.user_repository import UserRepository
from domain.errors import AuthenticationError, StaleVersionError
from domain.users import User

MAX_ATTEMPTS = 3


async def update_latest(users: UserRepository, user: User, change: Callable[[User], User]) -> User:
    """Apply `change` to the latest stored version of `user` and store it.

    When a concurrent write wins (a profile edit, a refresh upgrading the hash), read the
    user again and apply `change` to that: a password change must not fail because the
    name changed meanwhile. `change` may raise to refuse the fresh state (a TOTP code
    already used by the winner), which makes check-and-write one atomic step.
    """
    for _ in range(MAX_ATTEMPTS):
        updated = change(user)
        try:
            await users.update(updated, expected_version=user.version)
        except StaleVersionError:
            fresh = await users.get(user.id)
            if fresh is None:
                raise AuthenticationError from None
            user = fresh
        else:
            return updated
    raise StaleVersionError
