"""Users: identity, email, role and the entity itself."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.errors import FieldError, InvalidInputError
from domain.two_factor import TotpFactor

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100
# Sessions signed out within one access-token lifetime that a user document remembers;
# past this the caller ends every session instead (see `UserRepository.revoke_sessions`).
MAX_REVOKED_SESSIONS = 64


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
class RevokedSession:
    """A session (refresh family) ended before its access tokens expired: they are
    refused until `until`, when the last of them has expired anyway."""

    family_id: str
    until: datetime


def add_revoked_sessions(
    current: tuple[RevokedSession, ...],
    family_ids: Collection[str],
    until: datetime,
    now: datetime,
) -> tuple[RevokedSession, ...] | None:
    """`current` without the entries past their `until`, plus `family_ids` (a family
    listed already keeps the later `until`); None when that exceeds the bound."""
    kept = {r.family_id: r.until for r in current if r.until > now}
    for family_id in family_ids:
        kept[family_id] = max(until, kept.get(family_id, until))
    if len(kept) > MAX_REVOKED_SESSIONS:
        return None
    return tuple(RevokedSession(f, u) for f, u in kept.items())


@dataclass(frozen=True, slots=True)
class User:
    """A user account.

    `version` increases on every change (optimistic concurrency, ETags).
    `token_version` increases when every outstanding access token must die
    (password change or reset); access tokens carry it and are checked against it.
    `email_verified` is set by a verification link and cleared when the email changes.
    `totp` is the authenticator-app factor: pending until confirmed by a first code.
    `revoked_sessions` lists the sessions signed out while access tokens of theirs may
    still be unexpired: every request reads the user anyway, so refusing those tokens
    costs no extra read. Only `UserRepository.revoke_sessions` writes it (a change of
    the user leaves it as stored), and it is not a change of the user: `version` stays.
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
    revoked_sessions: tuple[RevokedSession, ...] = field(default=(), repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp is not None and self.totp.confirmed

    def session_revoked(self, family_id: str) -> bool:
        return any(r.family_id == family_id for r in self.revoked_sessions)

    def with_new_credentials(self, now: datetime, **changes: object) -> User:
        """A credential change (password, second factor, role): every session and every
        access token issued before ends, since they carry the old `token_version`."""
        return self.changed(now, token_version=self.token_version + 1, **changes)

    def changed(self, now: datetime, **changes: object) -> User:
        """A copy with `changes` applied, the version bumped and `updated_at` set."""
        return replace(self, **changes, version=self.version + 1, updated_at=now)  # type: ignore[arg-type]
