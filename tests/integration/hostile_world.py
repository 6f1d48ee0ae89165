"""What the hostile-input property (test_hostile_input.py) drives and against what: the
operations of the OpenAPI document, and per example a `World` of fresh accounts with
values that get past the earlier checks of a request (tokens, ids, ETags, a sign-in
challenge, emailed tokens, the current code), for hostile.py to send or to mutate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp

from application.auth.email_links import reset_binding
from application.auth.one_time_tokens import OneTimeTokens
from application.auth.sessions import SessionIssuer, SessionLifetimes, TokenPair
from application.context import ClientInfo
from application.pagination import encode_cursor
from application.two_factor.codes import hash_backup_code
from domain.one_time_tokens import TokenPurpose
from domain.two_factor import TotpFactor
from domain.users import Email, Role, User
from entrypoints.bootstrap import Services
from entrypoints.http.etags import etag_of

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "tremendous purple elephant dance"
BACKUP_CODE = "ABCD-EFGH-JKLM-NPQR"
CLIENT_IP_HEADER = "x-client-ip"  # the trusted proxy header of the example's settings
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete"})


# --- the operations of the document ----------------------------------------------------


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str  # the template, e.g. /api/v1/users/{user_id}
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    cookie_params: tuple[str, ...]
    body_fields: tuple[str, ...] | None  # None: the operation takes no body
    body_required: bool


def _body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None
    schema = next(iter(content.values()))["schema"]
    for choice in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        if "$ref" in choice:
            name = choice["$ref"].rsplit("/", 1)[-1]
            resolved: dict[str, Any] = document["components"]["schemas"][name]
            return resolved
        if choice.get("type") == "object":
            return dict(choice)
    return {"properties": {}}


def operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            params = [*item.get("parameters", []), *operation.get("parameters", [])]

            def named(where: str, params: list[dict[str, Any]] = params) -> tuple[str, ...]:
                return tuple(p["name"] for p in params if p["in"] == where)

            body = _body_schema(document, operation)
            found.append(
                Operation(
                    id=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    path_params=named("path"),
                    query_params=named("query"),
                    header_params=named("header"),
                    cookie_params=named("cookie"),
                    body_fields=None if body is None else tuple(body.get("properties", {})),
                    body_required=bool(operation.get("requestBody", {}).get("required")),
                )
            )
    return sorted(found, key=lambda o: o.id)


# --- the accounts and secrets of one example -------------------------------------------


@dataclass(frozen=True)
class World:
    """Fresh accounts, tokens and client address per example, so that no example is
    throttled or signed out by another."""

    user: User
    admin: User
    other: User
    user_tokens: TokenPair
    admin_tokens: TokenPair
    challenge: str
    verify_token: str
    reset_token: str
    totp_code: str
    session_id: str
    client_ip: str

    def pool(self, name: str) -> list[str]:
        """Values of a parameter or field that get past the earlier checks."""
        pools: dict[str, list[str]] = {
            "email": [self.user.email.value, self.admin.email.value, f"new.{self.user.id}@ex.org"],
            "password": [PASSWORD],
            "current_password": [PASSWORD],
            "new_password": [NEW_PASSWORD],
            "name": ["Ann Other"],
            "role": ["user", "admin"],
            "token": [self.verify_token, self.reset_token],
            "challenge": [self.challenge],
            "code": [self.totp_code, BACKUP_CODE, f"{self.totp_code[:3]} {self.totp_code[3:]}"],
            "refresh_token": [self.user_tokens.refresh_token],
            "user_id": [self.user.id, self.admin.id, self.other.id],
            "session_id": [self.session_id, "unknown-session"],
            "limit": ["1", "20", "100"],
            "cursor": [encode_cursor(datetime.now(UTC), self.user.id)],
            "If-Match": [etag_of(self.user), etag_of(self.other)],
            "X-Refresh-Token-Transport": ["cookie", "body"],
        }
        return pools.get(name, ["x"])


# The signed-in user's factor: pending (confirm checks codes), on (disable checks codes,
# sign-in challenges), off (enroll).
TWO_FACTOR_STATES = ("pending", "on", "off")


async def build_world(services: Services, n: int, two_factor: str, password_hash: str) -> World:
    """Accounts numbered `n`, all with `password_hash` (of PASSWORD: hashed once)."""
    adapters, settings = services.adapters, services.settings
    now = datetime.now(UTC)
    secret = adapters.otp.new_secret()
    on = TotpFactor(secret, True, -1, (hash_backup_code(BACKUP_CODE),))
    totp = {"off": None, "pending": TotpFactor(secret), "on": on}[two_factor]

    def account(tag: str, role: Role, factor: TotpFactor | None = None) -> User:
        return User(
            id=f"{tag}{n:06d}",
            email=Email(f"{tag}{n}@example.com"),
            name=tag.title(),
            role=role,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            email_verified=True,
            totp=factor,
        )

    # The admin's factor is on when the user's is not (else pending), so that either
    # token reaches a code check; the other user's is on, and the challenge is theirs.
    user, admin, other = (
        account("ann", Role.USER, totp),
        account("root", Role.ADMIN, TotpFactor(secret) if two_factor == "on" else on),
        account("bob", Role.USER, on),
    )
    for each in (user, admin, other):
        await adapters.users.add(each)
    lifetimes = SessionLifetimes(
        idle=timedelta(seconds=settings.refresh_idle_ttl_seconds),
        absolute=timedelta(seconds=settings.refresh_absolute_ttl_seconds),
    )
    sessions = SessionIssuer(
        sessions=adapters.sessions,
        tokens=adapters.tokens,
        ids=adapters.ids,
        lifetimes=lifetimes,
        users=adapters.users,
    )
    client_ip = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    client = ClientInfo(ip=client_ip, user_agent="hostile-input", request_id=f"world-{n}")
    one_time = OneTimeTokens(adapters.one_time_tokens, adapters.ids)
    hour = timedelta(hours=1)
    user_tokens = await sessions.start(user, now, client)
    return World(
        user=user,
        admin=admin,
        other=other,
        user_tokens=user_tokens,
        admin_tokens=await sessions.start(admin, now, client),
        challenge=await one_time.issue(
            other, TokenPurpose.TWO_FACTOR_CHALLENGE, str(other.token_version), now, hour
        ),
        verify_token=await one_time.issue(
            user, TokenPurpose.VERIFY_EMAIL, user.email.value, now, hour
        ),
        reset_token=await one_time.issue(
            user, TokenPurpose.RESET_PASSWORD, reset_binding(user), now, hour
        ),
        totp_code=pyotp.TOTP(secret).now(),
        session_id=adapters.tokens.verify(user_tokens.access_token).session_id,
        client_ip=client_ip,
    )
