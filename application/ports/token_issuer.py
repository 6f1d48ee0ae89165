from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.users import User


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    role: str
    token_version: int
    token_id: str
    # The refresh family (session) the token was issued for: "this device".
    session_id: str


class TokenIssuer(Protocol):
    """Signs and verifies access tokens (JWT); refresh tokens are opaque and not its job."""

    @property
    def access_ttl_seconds(self) -> int: ...

    @property
    def accepted_lifetime_seconds(self) -> int:
        """The longest an access token is accepted after it was issued: its lifetime
        plus the clock leeway of verification."""

    def issue(self, user: User, now: datetime, token_id: str, session_id: str) -> str: ...

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; `AuthenticationError` for anything not fully valid."""
