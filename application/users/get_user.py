from __future__ import annotations

from dataclasses import dataclass

from application.ports.user_repository import UserRepository
from application.users.access import load_visible
from domain.users import User


@dataclass(frozen=True, slots=True)
class GetUserQuery:
    actor: User
    user_id: str


class GetUser:
    """A user reads themselves; an admin reads anyone; others get 'not found'."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, query: GetUserQuery) -> User:
        return await load_visible(self._users, query.actor, query.user_id)
