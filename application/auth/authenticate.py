from __future__ import annotations

from dataclasses import dataclass

from application.ports.token_issuer import TokenIssuer
from application.ports.user_repository import UserRepository
from domain.errors import AuthenticationError
from domain.users import User


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and from which session (refresh family) their token came."""

    user: User
    session_id: str


class Authenticate:
    """Turn an access token into the current user and session.

    Rules: the token must verify completely (signature, type, issuer, audience, times);
    the user must still exist and carry the token version the token was issued with
    (a password change, reset, two-factor or role change, or deletion revokes
    outstanding tokens); the token's session must not be one the user ended (sign-out,
    revoking a device, refresh-token reuse). One indexed read.
    """

    def __init__(self, users: UserRepository, tokens: TokenIssuer) -> None:
        self._users = users
        self._tokens = tokens

    async def execute(self, access_token: str) -> Principal:
        claims = self._tokens.verify(access_token)
        user = await self._users.get(claims.user_id)
        if (
            user is None
            or user.token_version != claims.token_version
            or user.session_revoked(claims.session_id)
        ):
            raise AuthenticationError
        return Principal(user, claims.session_id)
