"""Users: identity, email, role and the entity itself."""

from __future__ import annotations

import enum
import re
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


# The canonical form (see `Email`): a dot-atom local part of ASCII "atext", and a domain
# of lowercase LDH labels (IDNA A-labels included), two or more.
LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_LOCAL_PART_LENGTH = 64
MAX_DOMAIN_LENGTH = 253
INVALID_EMAIL = FieldError("email", "Enter a valid email address.", "email_invalid")


@dataclass(frozen=True, slots=True)
class Email:
    """An email address in the one canonical form every account is stored and found by.

    The identity policy (one normalization for every place an address enters: sign-up,
    sign-in, password reset, verification resend, admin create, email change, the CLI):

    1. Surrounding whitespace is trimmed, and the whole address is NFKC-normalized:
       fullwidth letters, compatibility forms and composed/decomposed accents each map to
       one spelling (a fullwidth at sign, U+FF20, is an "@").
    2. The domain is IDNA 2008 (UTS #46 mapping) and stored as A-labels, lowercase ASCII:
       `exämple.com`, `EXÄMPLE.com`, the same typed in fullwidth letters and
       `xn--exmple-cua.com` are one domain, shown as its A-label, so a look-alike
       domain never displays as the real one.
    3. The local part is lowercased and must be ASCII after NFKC. Internationalized
       (SMTPUTF8) local parts are refused with a clear message: this closes Cyrillic,
       Greek and other look-alike letters, mixed scripts and combining marks at once,
       without a confusables table (Unicode's UTS #39 data is not in the standard
       library, and a partial table would be a false promise).
    4. No provider-specific rewriting: dots and `+tags` are kept, since what they mean
       is up to each mail provider (`a.nn@gmail.com` and `ann@gmail.com` are the same
       Gmail mailbox, but not the same mailbox everywhere).

    Uniqueness is on this form (the store's unique index is on the stored email). The
    edge (`adapters.identity`, with email-validator for syntax and IDNA) produces it;
    this class enforces its invariants, so nothing non-canonical can be stored by a new
    account or an email change. Addresses stored before this rule are `LegacyEmail`.
    """

    value: str

    def __post_init__(self) -> None:
        normalized = self.value.strip().lower()
        if not is_canonical_email(normalized):
            raise InvalidInputError([INVALID_EMAIL])
        object.__setattr__(self, "value", normalized)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class LegacyEmail(Email):
    """An address stored by a version before the canonical rule: an internationalized
    local part or a Unicode (U-label) domain, NFC and lowercased. Accounts keep it and
    are found by it (sign-in, reset and resend with the address as typed before); only
    stores build one (`stored_email`), so no new account or email change can."""

    def __post_init__(self) -> None:
        normalized = self.value.strip().lower()
        local, at, domain = normalized.rpartition("@")
        if not at or not local or "." not in domain or len(normalized) > MAX_EMAIL_LENGTH:
            raise InvalidInputError([INVALID_EMAIL])
        object.__setattr__(self, "value", normalized)


def is_canonical_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    labels = domain.split(".")
    return (
        bool(at)
        and value.isascii()
        and len(value) <= MAX_EMAIL_LENGTH
        and len(local) <= MAX_LOCAL_PART_LENGTH
        and len(domain) <= MAX_DOMAIN_LENGTH
        and LOCAL_PART.fullmatch(local) is not None
        and len(labels) >= 2
        and all(DOMAIN_LABEL.fullmatch(label) for label in labels)
    )


def stored_email(value: str) -> Email:
    """The email of a stored account: canonical, or one kept from an older version."""
    try:
        return Email(value)
    except InvalidInputError:
        return LegacyEmail(value)


def email_key(value: str) -> Email | None:
    """The address to look an account up by (sign-in, reset, resend): canonical, or an
    older version's form for accounts that kept one; None when no account can have it
    (which the caller treats as an unknown account, revealing nothing)."""
    try:
        return stored_email(value)
    except InvalidInputError:
        return None


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
