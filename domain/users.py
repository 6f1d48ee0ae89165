"""Users: identity, email, role and the entity itself."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.errors import FieldError, InvalidInputError
from domain.two_factor import TotpFactor

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Email:
    """An email address, trimmed and lowercased so comparison is case-insensitive.

    Full syntax and deliverability-free validation happens at the edge (email-validator);
    this keeps the invariants the domain relies on even for internal callers.
    """

    value: str

    def __post_init__(self) -> None:
        normalized = self.value.strip().lower()
        local, at, domain = normalized.rpartition("@")
        if not at or not local or "." not in domain or len(normalized) > MAX_EMAIL_LENGTH:
            raise InvalidInputError([FieldError("email", "Enter a valid email address.")])
        object.__setattr__(self, "value", normalized)

    def __str__(self) -> str:
        return self.value


def normalize_name(name: str) -> str:
    """A display name: NFC, trimmed, 1..100 code points, no control characters."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            [FieldError("name", f"Enter a name of 1 to {MAX_NAME_LENGTH} characters.")]
        )
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise InvalidInputError([FieldError("name", "The name contains control characters.")])
    return cleaned


@dataclass(frozen=True, slots=True)
class User:
    """A user account.

    `version` increases on every change (optimistic concurrency, ETags).
    `token_version` increases when every outstanding access token must die
    (password change or reset); access tokens carry it and are checked against it.
    `email_verified` is set by a verification link and cleared when the email changes.
    `totp` is the authenticator-app factor: pending until confirmed by a first code.
    """

    id: str
    email: Email
    name: str
    role: Role
    password_hash: str = field(repr=False)
    created_at: datetime
    updated_at: datetime
    version: int = 1
    token_version: int = 1
    email_verified: bool = False
    totp: TotpFactor | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp is not None and self.totp.confirmed

    def changed(self, now: datetime, **changes: object) -> User:
        """A copy with `changes` applied, the version bumped and `updated_at` set."""
        return replace(self, **changes, version=self.version + 1, updated_at=now)  # type: ignore[arg-type]
