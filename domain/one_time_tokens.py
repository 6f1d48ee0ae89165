"""Single-use, expiring tokens sent to a user: email verification, password reset, and
the challenge between a password and a second factor. Only their SHA-256 is stored."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    TWO_FACTOR_CHALLENGE = "two_factor_challenge"


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    """`binding` ties the token to the state it was issued for, so a change of that state
    kills it: the email address for a verification, the user's token version for a
    reset or a challenge (any password change or reset invalidates them)."""

    token_hash: str
    purpose: TokenPurpose
    user_id: str
    binding: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
