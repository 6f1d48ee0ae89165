"""HTTP tests of `/api/v1/users` against API.md: me, password, list, create, read, patch, delete."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from adapters.security.argon2_hasher import Argon2PasswordHasher
from domain.users import Role, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.settings import Settings
from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD, MakeUser, bearer_for
from tests.integration.problems import assert_invalid, assert_problem

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

USERS = "/api/v1/users"
ME = f"{USERS}/me"
VERIFY = "/api/v1/auth/verify-email"
USER_FIELDS = {
    "id",
    "email",
    "name",
    "role",
    "created_at",
    "updated_at",
    "version",
    "email_verified",
    "two_factor_enabled",
}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
STRONG_ETAG = re.compile(r'^"[^"]+"$')
THIRD_PASSWORD = "quietly singing marmalade lighthouse"

Headers = dict[str, str]


@pytest.fixture
def services(
    settings: Settings, argon2_hasher: Argon2PasswordHasher, outbox: InMemoryEmailSender
) -> Services:
    """Production wiring, sharing the session's argon2 hasher (building one costs a hash)."""
    return build_services(settings, hasher=argon2_hasher, email=outbox)


# --- helpers -------------------------------------------------------------------------


def bearer(services: Services, user: User) -> Headers:
    """An access token exactly as sign-in issues it, without paying for a password check
    (sign-in itself is covered in test_http_auth.py)."""
    token = services.adapters.tokens.issue(user, datetime.now(UTC), uuid.uuid4().hex, "sid-1")
    return {"Authorization": f"Bearer {token}"}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].split(" ", 1)[0] == "Bearer"


def assert_user_response(response: httpx.Response, status: int = 200) -> Any:
    """A `User` body (never a password or hash) with a strong `ETag`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert_user_shape(body)
    assert_no_secret(response)
    etag = response.headers["etag"]
    assert STRONG_ETAG.match(etag), etag
    return body


def assert_user_shape(user: Any) -> None:
    assert set(user) == USER_FIELDS
    assert user["role"] in {"user", "admin"}
    assert RFC3339_UTC.match(user["created_at"])
    assert RFC3339_UTC.match(user["updated_at"])
    assert isinstance(user["version"], int)
    assert user["version"] >= 1


def assert_no_secret(response: httpx.Response) -> None:
    text = response.text
    assert "password" not in text
    assert "$argon2" not in text
    for password in (STRONG_PASSWORD, OTHER_PASSWORD, THIRD_PASSWORD):
        assert password not in text


async def sign_in(
    client: AsyncTestClient[Any], email: str, password: str = STRONG_PASSWORD
) -> httpx.Response:
    return await client.post("/api/v1/auth/sign-in", json={"email": email, "password": password})


async def session_for(
    client: AsyncTestClient[Any], email: str, password: str = STRONG_PASSWORD
) -> tuple[Headers, str]:
    """Sign in: the Authorization header and the refresh token."""
    response = await sign_in(client, email, password)
    assert response.status_code == 200, response.text
    tokens = response.json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, tokens["refresh_token"]


async def delete_user(
    client: AsyncTestClient[Any], user_id: str, headers: Headers, body: Any = None
) -> httpx.Response:
    """DELETE with a JSON body (re-authentication), which `client.delete` cannot send."""
    return await client.request("DELETE", f"{USERS}/{user_id}", headers=headers, json=body)


async def refresh(client: AsyncTestClient[Any], token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def etag_of(client: AsyncTestClient[Any], user_id: str, headers: Headers) -> str:
    response = await client.get(f"{USERS}/{user_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def patch(
    client: AsyncTestClient[Any],
    user_id: str,
    body: dict[str, Any],
    headers: Headers,
    etag: str | None,
) -> httpx.Response:
    extra = {} if etag is None else {"If-Match": etag}
    return await client.patch(f"{USERS}/{user_id}", json=body, headers={**headers, **extra})


async def admin_and_user(
    services: Services, make_user: MakeUser
) -> tuple[User, Headers, User, Headers]:
    admin = await make_user(email="root@example.com", name="Root", role=Role.ADMIN)
    user = await make_user(email="ann@example.com", name="Ann")
    return admin, bearer(services, admin), user, bearer(services, user)


# --- forged and broken access tokens ---------------------------------------------------


def _sign(services: Services, claims: dict[str, Any], **header: Any) -> str:
    return jwt.encode(
        claims, services.settings.jwt_secret, algorithm="HS256", headers={"typ": "at+jwt", **header}
    )


def _claims(services: Services, user: User, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": services.settings.jwt_issuer,
        "aud": services.settings.jwt_audience,
        "sub": user.id,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=15),
        "jti": uuid.uuid4().hex,
        "sid": "session-1",
        "role": user.role.value,
        "ver": user.token_version,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return f"{header}.{flipped}.{signature}"


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def _unsigned(services: Services, user: User) -> str:
    payload = _sign(services, _claims(services, user)).split(".")[1]
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=")
    return f"{none_header.decode()}.{payload}."


AuthorizationOf = Callable[[Services, User], str | None]

BROKEN_AUTHORIZATIONS: dict[str, AuthorizationOf] = {
    "missing": lambda s, u: None,
    "empty-bearer": lambda s, u: "Bearer ",
    "other-scheme": lambda s, u: "Basic " + "YW5uOnB3",
    "garbage": lambda s, u: "Bearer garbage",
    "expired": lambda s, u: "Bearer "
    + s.adapters.tokens.issue(u, datetime.now(UTC) - timedelta(hours=1), "jti-1", "sid-1"),
    "not-yet-valid": lambda s, u: "Bearer "
    + s.adapters.tokens.issue(u, datetime.now(UTC) + timedelta(hours=1), "jti-2", "sid-1"),
    "tampered-signature": lambda s, u: "Bearer "
    + _tamper_signature(s.adapters.tokens.issue(u, datetime.now(UTC), "jti-3", "sid-1")),
    "tampered-payload": lambda s, u: "Bearer "
    + _tamper_payload(s.adapters.tokens.issue(u, datetime.now(UTC), "jti-4", "sid-1")),
    "role-forged-with-other-secret": lambda s, u: "Bearer "
    + jwt.encode(_claims(s, u, role="admin"), "o" * 48, headers={"typ": "at+jwt"}),
    "alg-none": lambda s, u: "Bearer " + _unsigned(s, u),
    "wrong-typ": lambda s, u: "Bearer " + _sign(s, _claims(s, u), typ="JWT"),
    "wrong-audience": lambda s, u: "Bearer " + _sign(s, _claims(s, u, aud="someone-else")),
    "wrong-issuer": lambda s, u: "Bearer " + _sign(s, _claims(s, u, iss="someone-else")),
    "missing-jti": lambda s, u: "Bearer " + _sign(s, _claims(s, u, jti=None)),
    "missing-exp": lambda s, u: "Bearer " + _sign(s, _claims(s, u, exp=None)),
    "missing-iat": lambda s, u: "Bearer " + _sign(s, _claims(s, u, iat=None)),
    "missing-nbf": lambda s, u: "Bearer " + _sign(s, _claims(s, u, nbf=None)),
    "missing-sub": lambda s, u: "Bearer " + _sign(s, _claims(s, u, sub=None)),
    "missing-aud": lambda s, u: "Bearer " + _sign(s, _claims(s, u, aud=None)),
    "missing-iss": lambda s, u: "Bearer " + _sign(s, _claims(s, u, iss=None)),
    "missing-role": lambda s, u: "Bearer " + _sign(s, _claims(s, u, role=None)),
    "missing-token-version": lambda s, u: "Bearer " + _sign(s, _claims(s, u, ver=None)),
    "other-algorithm": lambda s, u: "Bearer "
    + jwt.encode(_claims(s, u), s.settings.jwt_secret, "HS512", headers={"typ": "at+jwt"}),
    "stale-token-version": lambda s, u: "Bearer " + _sign(s, _claims(s, u, ver=0)),
    "unknown-subject": lambda s, u: "Bearer " + _sign(s, _claims(s, u, sub="nobody")),
}


# --- GET /me -------------------------------------------------------------------------


async def test_get_me_returns_the_signed_in_user_with_an_etag(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com", name="Ann")
    headers = await bearer_for(client, "ann@example.com")

    response = await client.get(ME, headers=headers)

    body = assert_user_response(response)
    assert body["id"] == user.id
    assert body["email"] == "ann@example.com"
    assert body["name"] == "Ann"
    assert body["role"] == "user"
    assert body["version"] == 1


async def test_a_correctly_forged_token_is_accepted_so_the_broken_ones_prove_something(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")

    response = await client.get(
        ME, headers={"Authorization": "Bearer " + _sign(services, _claims(services, user))}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("case", list(BROKEN_AUTHORIZATIONS))
async def test_get_me_without_a_valid_access_token_is_401_with_a_bearer_challenge(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser, case: str
) -> None:
    user = await make_user(email="ann@example.com")
    authorization = BROKEN_AUTHORIZATIONS[case](services, user)
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await client.get(ME, headers=headers)

    assert_unauthenticated(response)


async def test_a_refresh_token_is_not_an_access_token(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    _, refresh_token = await session_for(client, "ann@example.com")

    response = await client.get(ME, headers={"Authorization": f"Bearer {refresh_token}"})

    assert_unauthenticated(response)


# --- POST /me/password -----------------------------------------------------------------


async def test_changing_the_password_ends_every_session_and_access_token(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    headers, refresh_token = await session_for(client, "ann@example.com")
    other_headers, other_refresh_token = await session_for(client, "ann@example.com")

    response = await client.post(
        f"{ME}/password",
        json={"current_password": STRONG_PASSWORD, "new_password": OTHER_PASSWORD},
        headers=headers,
    )

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert_unauthenticated(await client.get(ME, headers=headers))
    assert_unauthenticated(await client.get(ME, headers=other_headers))
    assert_problem(await refresh(client, refresh_token), 401)
    assert_problem(await refresh(client, other_refresh_token), 401)
    assert_problem(await sign_in(client, "ann@example.com", STRONG_PASSWORD), 401)
    new_headers, _ = await session_for(client, "ann@example.com", OTHER_PASSWORD)
    assert (await client.get(ME, headers=new_headers)).status_code == 200


async def test_changing_the_password_with_a_wrong_current_password_is_401_and_changes_nothing(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    headers, refresh_token = await session_for(client, "ann@example.com")

    response = await client.post(
        f"{ME}/password",
        json={"current_password": THIRD_PASSWORD, "new_password": OTHER_PASSWORD},
        headers=headers,
    )

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get(ME, headers=headers)).status_code == 200
    assert (await refresh(client, refresh_token)).status_code == 200


@pytest.mark.parametrize(
    "new_password",
    ["fourteen chars", "123456789qwerty", STRONG_PASSWORD, "ann@example.com", "x" * 129],
    ids=["too-short", "common", "same-as-current", "equal-to-email", "too-long"],
)
async def test_changing_to_a_password_that_breaks_the_policy_is_422(
    client: AsyncTestClient[Any], make_user: MakeUser, new_password: str
) -> None:
    await make_user(email="ann@example.com")
    headers, _ = await session_for(client, "ann@example.com")

    response = await client.post(
        f"{ME}/password",
        json={"current_password": STRONG_PASSWORD, "new_password": new_password},
        headers=headers,
    )

    assert assert_invalid(response) == {"new_password"}
    assert (await client.get(ME, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"new_password": OTHER_PASSWORD},
        {"current_password": STRONG_PASSWORD, "new_password": OTHER_PASSWORD, "user_id": "x"},
    ],
    ids=["missing-current", "unknown-field"],
)
async def test_changing_the_password_with_a_malformed_body_is_422(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser, payload: dict[str, Any]
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)

    response = await client.post(f"{ME}/password", json=payload, headers=headers)

    assert_invalid(response)


async def test_changing_the_password_without_a_token_is_401(client: AsyncTestClient[Any]) -> None:
    response = await client.post(
        f"{ME}/password",
        json={"current_password": STRONG_PASSWORD, "new_password": OTHER_PASSWORD},
    )

    assert_unauthenticated(response)


# --- GET /users ----------------------------------------------------------------------


async def test_an_admin_pages_through_every_user_in_creation_order(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    created = [admin] + [await make_user(email=f"user{i}@example.com") for i in range(4)]
    headers = bearer(services, admin)

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(USERS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert_no_secret(response)
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        for item in body["items"]:
            assert_user_shape(item)
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
        assert cursor

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [user_id for page in pages for user_id in page] == [user.id for user in created]


async def test_listing_users_defaults_to_one_page_with_no_next_cursor(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    await make_user(email="ann@example.com")
    headers = bearer(services, admin)

    response = await client.get(USERS, headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert [item["email"] for item in body["items"]] == ["root@example.com", "ann@example.com"]
    assert body["next_cursor"] is None


async def test_a_page_that_exactly_fills_the_limit_has_no_next_cursor(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    await make_user(email="ann@example.com")
    headers = bearer(services, admin)

    response = await client.get(USERS, params={"limit": 2}, headers=headers)

    assert len(response.json()["items"]) == 2
    assert response.json()["next_cursor"] is None


async def test_listing_users_as_a_non_admin_is_403(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)

    response = await client.get(USERS, headers=headers)

    assert_problem(response, 403, "forbidden")


async def test_listing_users_without_a_token_is_401(client: AsyncTestClient[Any]) -> None:
    assert_unauthenticated(await client.get(USERS))


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"cursor": "not a cursor"},
        {"cursor": "Z2FyYmFnZQ"},  # base64 of "garbage": no separator
        {"cursor": "c" * 513},
    ],
    ids=["zero", "over-100", "negative", "not-a-number", "junk-cursor", "bad-cursor", "long"],
)
async def test_listing_users_with_a_bad_limit_or_cursor_is_422(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser, params: dict[str, str]
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.get(USERS, params=params, headers=headers)

    assert set(params) <= assert_invalid(response)


async def test_the_largest_page_size_is_accepted(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.get(USERS, params={"limit": 100}, headers=headers)

    assert response.status_code == 200


# --- POST /users ---------------------------------------------------------------------


async def test_an_admin_creates_a_user_with_a_location(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.post(
        USERS,
        json={"email": "Bob@Example.com", "password": OTHER_PASSWORD, "name": "Bob"},
        headers=headers,
    )

    body = assert_user_response(response, 201)
    assert body["email"] == "bob@example.com"
    assert body["role"] == "user"
    assert response.headers["location"] == f"{USERS}/{body['id']}"
    fetched = await client.get(response.headers["location"], headers=headers)
    assert fetched.json() == body
    assert (await sign_in(client, "bob@example.com", OTHER_PASSWORD)).status_code == 200


async def test_an_admin_can_create_another_admin_who_must_verify_first(
    client: AsyncTestClient[Any],
    services: Services,
    make_user: MakeUser,
    outbox: InMemoryEmailSender,
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.post(
        USERS,
        json={
            "email": "eve@example.com",
            "password": OTHER_PASSWORD,
            "name": "Eve",
            "role": "admin",
        },
        headers=headers,
    )

    assert assert_user_response(response, 201)["role"] == "admin"
    eve = await bearer_for(client, "eve@example.com", OTHER_PASSWORD)
    # Admin powers wait until Eve proves the address with the emailed link.
    refused = await client.get(USERS, headers=eve)
    assert (refused.status_code, refused.json()["type"]) == (403, "/problems/email-unverified")
    token = outbox.links("eve@example.com")[-1].split("#token=")[1]
    assert (await client.post(VERIFY, json={"token": token})).status_code == 204
    assert (await client.get(USERS, headers=eve)).status_code == 200


async def test_creating_a_user_with_a_taken_email_is_409(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    await make_user(email="ann@example.com")
    headers = bearer(services, admin)

    response = await client.post(
        USERS,
        json={"email": "ANN@example.com", "password": OTHER_PASSWORD, "name": "Ann"},
        headers=headers,
    )

    assert_problem(response, 409, "email-taken")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "bob@example.com", "password": "short one", "name": "Bob"}, "password"),
        ({"email": "bob@example.com", "password": "123456789qwerty", "name": "Bob"}, "password"),
        ({"email": "bob", "password": OTHER_PASSWORD, "name": "Bob"}, "email"),
        ({"email": "bob@example.com", "password": OTHER_PASSWORD, "name": ""}, "name"),
        (
            {"email": "bob@example.com", "password": OTHER_PASSWORD, "name": "B", "role": "root"},
            None,
        ),
        ({"email": "bob@example.com", "password": OTHER_PASSWORD, "name": "B", "version": 3}, None),
        ({"email": "bob@example.com", "name": "Bob"}, None),
    ],
    ids=["short", "common", "email", "name", "unknown-role", "unknown-field", "missing"],
)
async def test_creating_an_invalid_user_is_422(
    client: AsyncTestClient[Any],
    services: Services,
    make_user: MakeUser,
    payload: dict[str, Any],
    field: str | None,
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.post(USERS, json=payload, headers=headers)

    fields = assert_invalid(response)
    if field is not None:
        assert fields == {field}


async def test_creating_a_user_as_a_non_admin_is_403(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)

    response = await client.post(
        USERS,
        json={
            "email": "eve@example.com",
            "password": OTHER_PASSWORD,
            "name": "Eve",
            "role": "admin",
        },
        headers=headers,
    )

    assert_problem(response, 403, "forbidden")
    assert_problem(await sign_in(client, "eve@example.com", OTHER_PASSWORD), 401)


async def test_creating_a_user_without_a_token_is_401(client: AsyncTestClient[Any]) -> None:
    response = await client.post(
        USERS, json={"email": "eve@example.com", "password": OTHER_PASSWORD, "name": "Eve"}
    )

    assert_unauthenticated(response)


# --- GET /users/{id} ------------------------------------------------------------------


async def test_a_user_reads_themselves_by_id_with_the_same_etag_as_me(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)

    response = await client.get(f"{USERS}/{user.id}", headers=headers)

    body = assert_user_response(response)
    assert body["id"] == user.id
    assert response.headers["etag"] == (await client.get(ME, headers=headers)).headers["etag"]


async def test_an_admin_reads_any_user_with_an_etag(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin, admin_headers, user, _ = await admin_and_user(services, make_user)

    response = await client.get(f"{USERS}/{user.id}", headers=admin_headers)

    body = assert_user_response(response)
    assert (body["email"], body["version"]) == ("ann@example.com", 1)
    same_version_other_id = await etag_of(client, admin.id, admin_headers)
    assert response.headers["etag"] != same_version_other_id


async def test_a_user_asking_for_someone_else_gets_the_same_404_as_for_nobody(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin, _, _, user_headers = await admin_and_user(services, make_user)

    someone = await client.get(f"{USERS}/{admin.id}", headers=user_headers)
    nobody = await client.get(f"{USERS}/{uuid.uuid4().hex}", headers=user_headers)

    body = assert_problem(someone, 404, "not-found")
    other = assert_problem(nobody, 404, "not-found")
    assert {k: v for k, v in body.items() if k != "instance"} == {
        k: v for k, v in other.items() if k != "instance"
    }
    assert "root@example.com" not in someone.text


async def test_an_admin_asking_for_an_unknown_id_gets_404(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.get(f"{USERS}/{uuid.uuid4().hex}", headers=headers)

    assert_problem(response, 404, "not-found")


async def test_reading_a_user_without_a_token_is_401(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")

    assert_unauthenticated(await client.get(f"{USERS}/{user.id}"))


# --- PATCH /users/{id} ----------------------------------------------------------------


async def test_a_user_renames_themselves_and_gets_a_new_etag(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com", name="Ann")
    headers = bearer(services, user)
    etag = await etag_of(client, user.id, headers)

    response = await patch(client, user.id, {"name": "  Ann Lovelace "}, headers, etag)

    body = assert_user_response(response)
    assert body["name"] == "Ann Lovelace"
    assert body["version"] == 2
    assert response.headers["etag"] != etag
    assert response.headers["etag"] == await etag_of(client, user.id, headers)
    assert (await client.get(ME, headers=headers)).json() == body


async def test_a_user_changes_their_email_and_signs_in_with_the_new_one(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)
    etag = await etag_of(client, user.id, headers)

    response = await patch(
        client,
        user.id,
        {"email": "Ann@Lovelace.ORG", "current_password": STRONG_PASSWORD},
        headers,
        etag,
    )

    assert assert_user_response(response)["email"] == "ann@lovelace.org"
    assert (await sign_in(client, "ann@lovelace.org")).status_code == 200
    assert_problem(await sign_in(client, "ann@example.com"), 401)


async def test_patching_without_if_match_is_428(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com", name="Ann")
    headers = bearer(services, user)

    response = await patch(client, user.id, {"name": "Mallory"}, headers, etag=None)

    assert_problem(response, 428)
    assert (await client.get(ME, headers=headers)).json()["name"] == "Ann"


async def test_patching_with_a_stale_etag_is_412(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)
    stale = await etag_of(client, user.id, headers)
    assert (await patch(client, user.id, {"name": "First"}, headers, stale)).status_code == 200

    response = await patch(client, user.id, {"name": "Second"}, headers, stale)

    assert_problem(response, 412, "stale-version")
    assert (await client.get(ME, headers=headers)).json()["name"] == "First"


@pytest.mark.parametrize(
    "if_match",
    ["weak", "unquoted", "other-user", "garbage"],
)
async def test_patching_with_an_if_match_that_names_no_current_version_is_412(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser, if_match: str
) -> None:
    admin, admin_headers, user, _ = await admin_and_user(services, make_user)
    etag = await etag_of(client, user.id, admin_headers)
    header = {
        "weak": f"W/{etag}",
        "unquoted": etag.strip('"'),
        "other-user": await etag_of(client, admin.id, admin_headers),
        "garbage": '"nonsense"',
    }[if_match]

    response = await patch(client, user.id, {"name": "Changed"}, admin_headers, header)

    assert_problem(response, 412, "stale-version")


async def test_patching_to_a_taken_email_is_409(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    _, _, user, user_headers = await admin_and_user(services, make_user)
    etag = await etag_of(client, user.id, user_headers)

    response = await patch(
        client,
        user.id,
        {"email": "ROOT@example.com", "current_password": STRONG_PASSWORD},
        user_headers,
        etag,
    )

    assert_problem(response, 409, "email-taken")
    assert (await client.get(ME, headers=user_headers)).json()["email"] == "ann@example.com"


async def test_a_non_admin_changing_their_own_role_is_403(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")
    headers = bearer(services, user)
    etag = await etag_of(client, user.id, headers)

    response = await patch(client, user.id, {"role": "admin"}, headers, etag)

    assert_problem(response, 403, "forbidden")
    assert (await client.get(ME, headers=headers)).json()["role"] == "user"
    assert_problem(await client.get(USERS, headers=headers), 403)


async def test_a_non_admin_patching_someone_else_gets_404(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin, admin_headers, _, user_headers = await admin_and_user(services, make_user)
    etag = await etag_of(client, admin.id, admin_headers)

    response = await patch(client, admin.id, {"name": "Pwned"}, user_headers, etag)

    assert_problem(response, 404, "not-found")
    assert (await client.get(ME, headers=admin_headers)).json()["name"] == "Root"


async def test_an_admin_renames_and_promotes_another_user(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    _, admin_headers, user, user_headers = await admin_and_user(services, make_user)
    etag = await etag_of(client, user.id, admin_headers)

    response = await patch(
        client, user.id, {"name": "Ann Admin", "role": "admin"}, admin_headers, etag
    )

    body = assert_user_response(response)
    assert (body["name"], body["role"], body["version"]) == ("Ann Admin", "admin", 2)
    # The role is a claim of the access token: a role change ends the user's sessions.
    assert_unauthenticated(await client.get(USERS, headers=user_headers))
    promoted = await services.adapters.users.get(user.id)
    assert promoted is not None
    assert (await client.get(USERS, headers=bearer(services, promoted))).status_code == 200


async def test_the_last_admin_cannot_demote_themselves(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)
    etag = await etag_of(client, admin.id, headers)

    response = await patch(client, admin.id, {"role": "user"}, headers, etag)

    assert_problem(response, 409, "last-admin")
    assert (await client.get(ME, headers=headers)).json()["role"] == "admin"


async def test_an_admin_may_demote_themselves_while_another_admin_remains(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    await make_user(email="second@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)
    etag = await etag_of(client, admin.id, headers)

    response = await patch(client, admin.id, {"role": "user"}, headers, etag)

    assert assert_user_response(response)["role"] == "user"
    assert_unauthenticated(await client.get(USERS, headers=headers))
    demoted = await services.adapters.users.get(admin.id)
    assert demoted is not None
    assert_problem(await client.get(USERS, headers=bearer(services, demoted)), 403)


@pytest.mark.parametrize(
    "body",
    [
        {"password": OTHER_PASSWORD},
        {"password_hash": "x"},
        {"version": 9},
        {"id": "other"},
        {"email": "not-an-email"},
        {"name": ""},
        {"role": "superuser"},
    ],
    ids=["password", "password_hash", "version", "id", "bad-email", "blank-name", "bad-role"],
)
async def test_patching_with_an_unknown_or_invalid_field_is_422(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser, body: dict[str, Any]
) -> None:
    _, admin_headers, user, _ = await admin_and_user(services, make_user)
    etag = await etag_of(client, user.id, admin_headers)

    response = await patch(client, user.id, body, admin_headers, etag)

    assert_invalid(response)
    assert await etag_of(client, user.id, admin_headers) == etag


async def test_patching_without_a_token_is_401(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")

    response = await client.patch(
        f"{USERS}/{user.id}", json={"name": "X"}, headers={"If-Match": '"1-x"'}
    )

    assert_unauthenticated(response)


# --- DELETE /users/{id} ---------------------------------------------------------------


async def test_deleting_yourself_is_204_and_your_tokens_stop_working(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    user = await make_user(email="ann@example.com")
    admin_headers = bearer(services, admin)
    headers, refresh_token = await session_for(client, "ann@example.com")

    response = await delete_user(client, user.id, headers, {"current_password": STRONG_PASSWORD})

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_unauthenticated(await client.get(ME, headers=headers))
    assert_problem(await refresh(client, refresh_token), 401)
    assert_problem(await sign_in(client, "ann@example.com"), 401)
    assert_problem(await client.get(f"{USERS}/{user.id}", headers=admin_headers), 404)


async def test_an_admin_deletes_another_user_whose_tokens_stop_working(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    user = await make_user(email="ann@example.com")
    admin_headers = bearer(services, admin)
    headers, refresh_token = await session_for(client, "ann@example.com")

    response = await client.delete(f"{USERS}/{user.id}", headers=admin_headers)

    assert response.status_code == 204
    assert_unauthenticated(await client.get(ME, headers=headers))
    assert_problem(await refresh(client, refresh_token), 401)
    assert_problem(await client.delete(f"{USERS}/{user.id}", headers=admin_headers), 404)


async def test_a_non_admin_deleting_someone_else_gets_404_and_nothing_happens(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin, admin_headers, _, user_headers = await admin_and_user(services, make_user)

    response = await client.delete(f"{USERS}/{admin.id}", headers=user_headers)

    assert_problem(response, 404, "not-found")
    assert (await client.get(ME, headers=admin_headers)).status_code == 200


async def test_an_admin_deleting_an_unknown_id_gets_404(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await client.delete(f"{USERS}/{uuid.uuid4().hex}", headers=headers)

    assert_problem(response, 404, "not-found")


async def test_the_last_admin_cannot_delete_themselves(
    client: AsyncTestClient[Any], services: Services, make_user: MakeUser
) -> None:
    admin = await make_user(email="root@example.com", role=Role.ADMIN)
    headers = bearer(services, admin)

    response = await delete_user(client, admin.id, headers, {"current_password": STRONG_PASSWORD})

    assert_problem(response, 409, "last-admin")
    assert (await client.get(ME, headers=headers)).status_code == 200


async def test_deleting_without_a_token_is_401(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")

    assert_unauthenticated(await client.delete(f"{USERS}/{user.id}"))
