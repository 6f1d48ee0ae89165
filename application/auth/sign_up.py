from __future__ import annotations

from dataclasses import dataclass

from application.auth.sessions import SessionIssuer, TokenPair
from application.users.create_user import NewUser, UserFactory
from domain.users import Role, User


@dataclass(frozen=True, slots=True)
class SignUpCommand:
    email: str
    password: str
    name: str


@dataclass(frozen=True, slots=True)
class SignUpResult:
    user: User
    tokens: TokenPair


class SignUp:
    """Open registration.

    Rules: the password passes the policy; the email is unused (case-insensitively,
    enforced by the store's unique index, so concurrent sign-ups yield one account);
    the new user has role `user`; the response signs the user in (new session family).
    """

    def __init__(self, factory: UserFactory, sessions: SessionIssuer) -> None:
        self._factory = factory
        self._sessions = sessions

    async def execute(self, command: SignUpCommand) -> SignUpResult:
        user = await self._factory.create(
            NewUser(command.email, command.password, command.name, Role.USER)
        )
        tokens = await self._sessions.start(user, user.created_at)
        return SignUpResult(user, tokens)
