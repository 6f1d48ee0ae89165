"""Users: identity, email, role and the entity itself."""

from __future__ import annotations

import enum
import re
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
