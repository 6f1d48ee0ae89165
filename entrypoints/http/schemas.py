"""msgspec schemas of the HTTP contract (API.md) and their mapping from domain types.

Request structs forbid unknown fields (mass-assignment guard → 422). Domain entities
are never serialized directly: `user_out` decides what leaves the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from application.audit.list_events import AuditPage
from application.auth.sessions import TokenPair
from application.users.list_users import UserPage
from domain.auth import ABSOLUTE_MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, RefreshSession
from domain.users import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, User

# The schema states what it can of the domain's rules, so clients (and schemathesis)
# see them; the domain still applies all of them (e.g. the configurable minimum password
# length, the blocklist), with field-level messages.
EmailField = Annotated[
    str,
    Meta(
        max_length=MAX_EMAIL_LENGTH,
        description=(
            "Normalized before use, the same way everywhere: trimmed, NFKC, the domain "
            "as IDNA A-labels, the part before the @ lowercased and ASCII only (an "
            "internationalized one is refused, code `email_internationalized`); dots "
            "and +tags are kept. Accounts are unique on the normalized form."
        ),
        examples=["ann@example.com"],
    ),
]
# A password being set. The policy counts code points after NFC normalization, which
# can shorten or lengthen a string, so the schema only caps the raw size (a safety bound
# on work) and the domain applies the real limits, each with its own message and code.
MAX_RAW_PASSWORD_LENGTH = 1024
NewPasswordField = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_RAW_PASSWORD_LENGTH,
        description=(
            f"{ABSOLUTE_MIN_PASSWORD_LENGTH} (by default 15) to {MAX_PASSWORD_LENGTH} "
            "Unicode code points after NFC normalization; not only spaces or invisible "
            "characters, no control characters, not one character or a short group "
            "repeated, not a run such as abcd or 1234, not your email, name or the "
            "service's name, not a common or breached password or a small variation of "
            "one. A refusal is a 422 whose `errors` item carries the rule's `code`."
        ),
        examples=["velvet harbor quantum meadow"],
    ),
]
# A password being presented: any string (sign-in must not reveal the policy, and old
# passwords may predate it).
PasswordField = Annotated[
    str, Meta(max_length=MAX_RAW_PASSWORD_LENGTH, examples=["velvet harbor quantum meadow"])
]
# At least one visible character and no control characters, as `normalize_name` requires.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
NameField = Annotated[
    str,
    Meta(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN, examples=["Ann Lovelace"]),
]
RoleField = Literal["user", "admin"]
# Emailed tokens and sign-in challenges (43 characters as issued; bounded for safety).
TokenField = Annotated[str, Meta(min_length=1, max_length=512)]
# A 6-digit app code or a backup code such as `ABCD-EFGH-JKLM-NPQR`.
CodeField = Annotated[str, Meta(min_length=1, max_length=64, examples=["123456"])]


class Input(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class SignUpIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField
    password: NewPasswordField
    name: NameField


class SignInIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField
    password: PasswordField


class RefreshTokenIn(Input, frozen=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(max_length=512)]


class ChangePasswordIn(Input, frozen=True, forbid_unknown_fields=True):
    """`code` (from the authenticator app, or a backup code) is required when two-factor
    is on."""

    current_password: PasswordField
    new_password: NewPasswordField
    code: CodeField | UnsetType = UNSET


class CreateUserIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField
    password: NewPasswordField
    name: NameField
    role: RoleField = "user"


class UpdateUserIn(Input, frozen=True, forbid_unknown_fields=True):
    """`current_password` is required when you change your own email, and `code` too
    when two-factor is on."""

    name: NameField | UnsetType = UNSET
    email: EmailField | UnsetType = UNSET
    role: RoleField | UnsetType = UNSET
    current_password: PasswordField | UnsetType = UNSET
    code: CodeField | UnsetType = UNSET


class DeleteUserIn(Input, frozen=True, forbid_unknown_fields=True):
    """Deleting your own account: your current password, and `code` when two-factor is
    on. An admin deleting someone else sends no body."""

    current_password: PasswordField | UnsetType = UNSET
    code: CodeField | UnsetType = UNSET


class EmailIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField


class TokenIn(Input, frozen=True, forbid_unknown_fields=True):
    token: TokenField


class PasswordResetConfirmIn(Input, frozen=True, forbid_unknown_fields=True):
    token: TokenField
    new_password: NewPasswordField


class TwoFactorSignInIn(Input, frozen=True, forbid_unknown_fields=True):
    challenge: TokenField
    code: CodeField


class PasswordIn(Input, frozen=True, forbid_unknown_fields=True):
    password: PasswordField


class CodeIn(Input, frozen=True, forbid_unknown_fields=True):
    code: CodeField


class PasswordAndCodeIn(Input, frozen=True, forbid_unknown_fields=True):
    password: PasswordField
    code: CodeField


class UserOut(msgspec.Struct, frozen=True):
    id: str
    email: str
    name: str
    role: RoleField
    created_at: datetime
    updated_at: datetime
    version: int
    email_verified: bool
    two_factor_enabled: bool


class TokenPairOut(msgspec.Struct, frozen=True):
    """`refresh_token` is absent in cookie mode (`X-Refresh-Token-Transport: cookie`),
    where it travels in an HttpOnly cookie instead."""

    access_token: str
    expires_in: int
    refresh_token: str | UnsetType = UNSET
    token_type: Literal["Bearer"] = "Bearer"


class TwoFactorChallengeOut(msgspec.Struct, frozen=True):
    """Sign-in of a user with two-factor on: finish with `POST /auth/sign-in/totp`."""

    challenge: str
    expires_in: int
    methods: list[Literal["totp", "backup_code"]]


class SessionOut(msgspec.Struct, frozen=True):
    """A signed-in device (refresh-token family). `current`: the caller's own."""

    id: str
    device: str
    ip: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


class SessionListOut(msgspec.Struct, frozen=True):
    items: list[SessionOut]


class TotpEnrollmentOut(msgspec.Struct, frozen=True):
    """Add `otpauth_uri` (or `secret`) to an authenticator app, then confirm a code."""

    secret: str
    otpauth_uri: str


class BackupCodesOut(msgspec.Struct, frozen=True):
    """Shown once: each code signs in once instead of an app code."""

    backup_codes: list[str]


class AuditEventOut(msgspec.Struct, frozen=True):
    id: str
    type: str
    at: datetime
    user_id: str
    actor_id: str | None
    ip: str
    request_id: str
    user_agent: str
    details: dict[str, str]


class AuditPageOut(msgspec.Struct, frozen=True):
    items: list[AuditEventOut]
    next_cursor: str | None


class SignUpOut(msgspec.Struct, frozen=True):
    """`tokens` is null when the server requires a verified email to sign in
    (REQUIRE_VERIFIED_EMAIL): follow the emailed link, then sign in."""

    user: UserOut
    tokens: TokenPairOut | None


class UserPageOut(msgspec.Struct, frozen=True):
    items: list[UserOut]
    next_cursor: str | None


class HealthOut(msgspec.Struct, frozen=True):
    status: str


class FieldErrorOut(msgspec.Struct, frozen=True, omit_defaults=True):
    field: str
    message: str
    code: (
        Annotated[
            str,
            Meta(
                description="The rule that failed, when the server names one: for "
                "passwords `too_short`, `too_long`, `control_characters`, `invisible`, "
                "`repetitive`, `sequence`, `context`, `common`, `common_variant`; for "
                "emails `email_invalid`, `email_internationalized`. Show `message`; use "
                "`code` to choose what to highlight.",
                examples=["too_short"],
            ),
        ]
        | None
    ) = None


class ProblemOut(msgspec.Struct, frozen=True, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldErrorOut] | None = None


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email.value,
        name=user.name,
        role=user.role.value,
        created_at=user.created_at.replace(microsecond=0),
        updated_at=user.updated_at.replace(microsecond=0),
        version=user.version,
        email_verified=user.email_verified,
        two_factor_enabled=user.two_factor_enabled,
    )


def seconds(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def session_out(session: RefreshSession, current_session_id: str) -> SessionOut:
    return SessionOut(
        id=session.family_id,
        device=session.device,
        ip=session.ip,
        created_at=seconds(session.started_at),
        last_used_at=seconds(session.created_at),
        expires_at=seconds(session.expires_at),
        current=session.family_id == current_session_id,
    )


def audit_page_out(page: AuditPage) -> AuditPageOut:
    return AuditPageOut(
        [
            AuditEventOut(
                id=e.id,
                type=e.type.value,
                at=e.at,
                user_id=e.user_id,
                actor_id=e.actor_id,
                ip=e.ip,
                request_id=e.request_id,
                user_agent=e.user_agent,
                details=dict(e.details),
            )
            for e in page.items
        ],
        page.next_cursor,
    )


def given(value: str | UnsetType) -> str | None:
    """An optional request field as the use cases take it: None when absent."""
    return None if value is UNSET else value


def tokens_out(tokens: TokenPair, *, with_refresh_token: bool = True) -> TokenPairOut:
    return TokenPairOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token if with_refresh_token else UNSET,
    )


def page_out(page: UserPage) -> UserPageOut:
    return UserPageOut([user_out(u) for u in page.items], page.next_cursor)
