from __future__ import annotations

from dataclasses import dataclass

from application.pagination import MAX_PAGE_SIZE, check_limit, decode_cursor, encode_cursor
from application.ports.user_repository import UserRepository
from application.users.access import require_admin
from domain.users import User

__all__ = ["MAX_PAGE_SIZE", "ListUsers", "ListUsersQuery", "UserPage"]


@dataclass(frozen=True, slots=True)
class ListUsersQuery:
    actor: User
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class UserPage:
    items: list[User]
    next_cursor: str | None


class ListUsers:
    """Admins page through all users in creation order with an opaque cursor."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, query: ListUsersQuery) -> UserPage:
        require_admin(query.actor)
        check_limit(query.limit)
        after = decode_cursor(query.cursor) if query.cursor else None
        # One extra row tells whether another page exists without a count query.
        rows = await self._users.list_page(query.limit + 1, after)
        items = rows[: query.limit]
        more = len(rows) > query.limit
        last = items[-1] if more and items else None
        return UserPage(items, encode_cursor(last.created_at, last.id) if last else None)
