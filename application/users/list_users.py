from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from application.ports.user_repository import UserRepository
from application.users.access import require_admin
from domain.errors import FieldError, InvalidInputError
from domain.users import User

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ListUsersQuery:
    actor: User
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class UserPage:
    items: list[User]
    next_cursor: str | None


def encode_cursor(user: User) -> str:
    raw = f"{user.created_at.isoformat()}|{user.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, user_id = raw.split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInputError([FieldError("cursor", "The cursor is not valid.")]) from None
    return created_at, user_id


class ListUsers:
    """Admins page through all users in creation order with an opaque cursor."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, query: ListUsersQuery) -> UserPage:
        require_admin(query.actor)
        if not 1 <= query.limit <= MAX_PAGE_SIZE:
            raise InvalidInputError([FieldError("limit", f"Use 1 to {MAX_PAGE_SIZE}.")])
        after = decode_cursor(query.cursor) if query.cursor else None
        # One extra row tells whether another page exists without a count query.
        rows = await self._users.list_page(query.limit + 1, after)
        items = rows[: query.limit]
        more = len(rows) > query.limit
        return UserPage(items, encode_cursor(items[-1]) if more and items else None)
