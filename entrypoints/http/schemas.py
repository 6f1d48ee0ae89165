"""msgspec schemas of the HTTP contract (API.md) and their mapping from domain types.

Request structs forbid unknown fields (mass-assignment guard → 422). Domain entities
are never serialized directly: `user_out` decides what leaves the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from application.auth.sessions import TokenPair
from application.users.list_users import UserPage
from domain.users import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, User

# Bounds here only keep absurd input out early; the domain applies the real rules
# (e.g. the configurable minimum password length), with field-level messages.
EmailField = Annotated[str, Meta(max_length=MAX_EMAIL_LENGTH, examples=["ann@example.com"])]
PasswordField = Annotated[str, Meta(max_length=1024, examples=["correct horse battery staple"])]
NameField = Annotated[str, Meta(max_length=MAX_NAME_LENGTH * 4, examples=["Ann Lovelace"])]
RoleField = Literal["user", "admin"]


class Input(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class SignUpIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField
    password: PasswordField
    name: NameField


class SignInIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField
    password: PasswordField


class RefreshTokenIn(Input, frozen=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(max_length=512)]


class ChangePasswordIn(Input, frozen=True, forbid_unknown_fields=True):
    current_password: PasswordField
    new_password: PasswordField


class CreateUserIn(Input, frozen=True, forbid_unknown_fields=True):
    email: EmailField
    password: PasswordField
    name: NameField
    role: RoleField = "user"


class UpdateUserIn(Input, frozen=True, forbid_unknown_fields=True):
    name: NameField | UnsetType = UNSET
    email: EmailField | UnsetType = UNSET
    role: RoleField | UnsetType = UNSET


class UserOut(msgspec.Struct, frozen=True):
    id: str
    email: str
    name: str
    role: RoleField
    created_at: datetime
    updated_at: datetime
    version: int


class TokenPairOut(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class SignUpOut(msgspec.Struct, frozen=True):
    user: UserOut
    tokens: TokenPairOut


class UserPageOut(msgspec.Struct, frozen=True):
    items: list[UserOut]
    next_cursor: str | None


class HealthOut(msgspec.Struct, frozen=True):
    status: str


class FieldErrorOut(msgspec.Struct, frozen=True):
    field: str
    message: str


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
    )


def tokens_out(tokens: TokenPair) -> TokenPairOut:
    return TokenPairOut(tokens.access_token, tokens.refresh_token, tokens.expires_in)


def page_out(page: UserPage) -> UserPageOut:
    return UserPageOut([user_out(u) for u in page.items], page.next_cursor)
