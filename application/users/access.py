"""Who may touch whom: the self-or-admin rule, shared by the user use cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from application.ports.user_repository import UserRepository
from domain.errors import (
    EmailNotVerifiedError,
    LastAdminError,
    PermissionDeniedError,
    UserNotFoundError,
)
from domain.users import User


async def load_visible(users: UserRepository, actor: User, user_id: str) -> User:
    """The target if the actor is it or an admin; otherwise 'not found' (no enumeration)."""
    if actor.id != user_id and not actor.is_admin:
        raise UserNotFoundError
    if actor.id != user_id:
        require_admin(actor)
    target = actor if actor.id == user_id else await users.get(user_id)
    if target is None:
        raise UserNotFoundError
    return target


def require_admin(actor: User) -> None:
    """An admin whose email is verified: admin powers never rest on an address nobody
    has proven to own."""
    if not actor.is_admin:
        raise PermissionDeniedError("Only an admin may do this.")
    if not actor.email_verified:
        raise EmailNotVerifiedError("Verify your email address to use admin functions.")


async def ensure_not_last_admin(users: UserRepository, target: User) -> None:
    """Refuse to remove admin rights from the only admin left."""
    if target.is_admin and await users.count_admins() <= 1:
        raise LastAdminError


async def undo_if_no_admin_left(users: UserRepository, undo: Callable[[], Awaitable[None]]) -> None:
    """The second half of the last-admin rule, after an admin was removed or demoted.

    Two admins removing each other at once both pass `ensure_not_last_admin`, and the
    store cannot condition a write on a count. So count again after the write and, if
    no admin is left, undo it: the racing requests may both be refused, but an admin
    always remains.
    """
    if await users.count_admins() == 0:
        await undo()
        raise LastAdminError
