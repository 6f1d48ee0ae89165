"""HTTP tests of `/api/v1/auth` against API.md: sign-up, sign-in, refresh, sign-out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from adapters.security.argon2_hasher import Argon2PasswordHasher
from application.users.create_user import NewUser
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD, MakeUser
from tests.fakes import FixedClock
from tests.integration.problems import assert_invalid, assert_problem

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
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
TOKEN_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
ACCESS_TTL_SECONDS = 900
FREE_ATTEMPTS_PER_ACCOUNT = 5


# --- helpers -------------------------------------------------------------------------


def env_settings(**env: str) -> Settings:
    return load_settings({"APP_ENV": "test", "JWT_SECRET": "t" * 48, **env})


def assert_user(user: Any) -> None:
    assert set(user) == USER_FIELDS
    assert user["role"] in {"user", "admin"}
    assert RFC3339_UTC.match(user["created_at"])
    assert RFC3339_UTC.match(user["updated_at"])
    assert isinstance(user["version"], int)


def assert_token_pair(tokens: Any) -> None:
    assert set(tokens) == TOKEN_FIELDS
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == ACCESS_TTL_SECONDS
    assert isinstance(tokens["access_token"], str)
    assert tokens["access_token"]
    assert isinstance(tokens["refresh_token"], str)
    assert len(tokens["refresh_token"]) >= 43


def assert_no_secret(response: httpx.Response, *passwords: str) -> None:
    text = response.text
    assert "password" not in text
    assert "$argon2" not in text
    for password in passwords:
        assert password not in text


async def sign_up(
    client: AsyncTestClient[Any], email: str, password: str = STRONG_PASSWORD, name: str = "Ann"
) -> httpx.Response:
    return await client.post(
        f"{AUTH}/sign-up", json={"email": email, "password": password, "name": name}
    )


async def sign_in(
    client: AsyncTestClient[Any], email: str, password: str = STRONG_PASSWORD
) -> httpx.Response:
    return await client.post(f"{AUTH}/sign-in", json={"email": email, "password": password})


async def refresh(client: AsyncTestClient[Any], token: str) -> httpx.Response:
    return await client.post(f"{AUTH}/refresh", json={"refresh_token": token})


async def tokens_of(client: AsyncTestClient[Any], email: str) -> dict[str, Any]:
    response = await sign_in(client, email)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def me(client: AsyncTestClient[Any], access_token: str) -> httpx.Response:
    return await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"})


# --- fixtures with other settings or a hand-moved clock --------------------------------


@pytest.fixture
def services(
    settings: Settings, argon2_hasher: Argon2PasswordHasher, outbox: InMemoryEmailSender
) -> Services:
    """Production wiring, sharing the session's argon2 hasher (building one costs a hash)."""
    return build_services(settings, hasher=argon2_hasher, email=outbox)


@pytest.fixture
def live_clock() -> FixedClock:
    """Starts at the real time so access tokens verify; moved by hand for expiries."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def clocked_services(live_clock: FixedClock, argon2_hasher: Argon2PasswordHasher) -> Services:
    return build_services(env_settings(), clock=live_clock, hasher=argon2_hasher)


@pytest.fixture
async def clocked_client(clocked_services: Services) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(clocked_services)) as test_client:
        yield test_client


async def add_user(services: Services, email: str = "ann@example.com") -> None:
    await services.user_factory.create(NewUser(email, STRONG_PASSWORD, "Ann"))


# --- sign-up -------------------------------------------------------------------------


async def test_sign_up_creates_a_user_and_signs_it_in(client: AsyncTestClient[Any]) -> None:
    response = await sign_up(client, "  Ann.Lovelace@Example.COM ", name=" Ann Lovelace ")

    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"user", "tokens"}
    assert_user(body["user"])
    assert body["user"]["email"] == "ann.lovelace@example.com"
    assert body["user"]["name"] == "Ann Lovelace"
    assert body["user"]["role"] == "user"
    assert body["user"]["version"] == 1
    assert_token_pair(body["tokens"])
    assert_no_secret(response, STRONG_PASSWORD)
    me_response = await me(client, body["tokens"]["access_token"])
    assert me_response.status_code == 200
    assert me_response.json()["id"] == body["user"]["id"]


async def test_sign_up_issues_an_access_token_with_every_required_claim(
    client: AsyncTestClient[Any],
) -> None:
    response = await sign_up(client, "ann@example.com")
    access_token = response.json()["tokens"]["access_token"]

    header = jwt.get_unverified_header(access_token)
    claims = jwt.decode(access_token, options={"verify_signature": False})
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "HS256"
    assert {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "role"} <= set(claims)
    assert claims["sub"] == response.json()["user"]["id"]
    assert claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == ACCESS_TTL_SECONDS


@pytest.mark.parametrize(
    "second_email",
    ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.com", "  ann@example.com  "],
)
async def test_sign_up_with_an_email_taken_in_any_case_is_a_409_conflict(
    client: AsyncTestClient[Any], make_user: MakeUser, second_email: str
) -> None:
    await make_user(email="ann@example.com")

    response = await sign_up(client, second_email, password=OTHER_PASSWORD, name="Other Ann")

    body = assert_problem(response, 409, "email-taken")
    assert body["detail"]


@pytest.mark.parametrize(
    "extra",
    [{"role": "admin"}, {"password_hash": "x"}, {"id": "chosen"}, {"version": 7}],
    ids=["role", "password_hash", "id", "version"],
)
async def test_sign_up_rejects_unknown_fields_with_422(
    client: AsyncTestClient[Any], extra: dict[str, Any]
) -> None:
    payload = {"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "Ann", **extra}

    response = await client.post(f"{AUTH}/sign-up", json=payload)

    assert_invalid(response)
    assert (await sign_in(client, "ann@example.com")).status_code == 401


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        ("fourteen chars", "ann@example.com", "Ann"),
        ("e\u0301" * 10, "ann@example.com", "Ann"),  # 20 code points, 10 after NFC
        ("x" * 129, "ann@example.com", "Ann"),
        ("123456789qwerty", "ann@example.com", "Ann"),
        ("QWERTY123456789", "ann@example.com", "Ann"),
        ("1qaz2wsx3edc4rfv", "ann@example.com", "Ann"),
        ("longname@example.com", "LongName@example.com", "Ann"),
        ("Ann The Lovelace", "ann@example.com", "ann the lovelace"),
    ],
    ids=[
        "too-short",
        "short-after-nfc",
        "too-long",
        "common",
        "common-other-case",
        "common-keyboard-walk",
        "equal-to-email",
        "equal-to-name",
    ],
)
async def test_sign_up_rejects_a_weak_or_common_password_with_a_field_error(
    client: AsyncTestClient[Any], password: str, email: str, name: str
) -> None:
    response = await sign_up(client, email, password=password, name=name)

    assert assert_invalid(response) == {"password"}
    assert password not in response.text


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": STRONG_PASSWORD, "name": "Ann"}, "email"),
        ({"email": "ann@", "password": STRONG_PASSWORD, "name": "Ann"}, "email"),
        ({"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "   "}, "name"),
        ({"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "A\u0007nn"}, "name"),
        ({"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "x" * 101}, "name"),
    ],
    ids=["no-at-sign", "no-domain", "blank-name", "control-char-name", "long-name"],
)
async def test_sign_up_rejects_an_invalid_email_or_name_with_a_field_error(
    client: AsyncTestClient[Any], payload: dict[str, Any], field: str
) -> None:
    response = await client.post(f"{AUTH}/sign-up", json=payload)

    assert field in assert_invalid(response)


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "ann@example.com", "password": STRONG_PASSWORD},
        {"email": "ann@example.com", "password": 12345678901234567, "name": "Ann"},
        {"email": "ann@example.com", "password": "p" * 1025, "name": "Ann"},
        [],
    ],
    ids=["missing-name", "wrong-type", "absurdly-long-password", "not-an-object"],
)
async def test_sign_up_rejects_a_malformed_body_with_422(
    client: AsyncTestClient[Any], payload: Any
) -> None:
    response = await client.post(f"{AUTH}/sign-up", json=payload)

    assert_invalid(response)


async def test_sign_up_keeps_a_128_character_password_whole(
    client: AsyncTestClient[Any],
) -> None:
    password = "a fairly long passphrase " * 5 + "end"
    assert len(password) == 128

    assert (await sign_up(client, "ann@example.com", password=password)).status_code == 201

    assert (await sign_in(client, "ann@example.com", password[:-1])).status_code == 401
    assert (await sign_in(client, "ann@example.com", password)).status_code == 200


# --- sign-in -------------------------------------------------------------------------


async def test_sign_in_returns_a_token_pair_for_the_email_in_any_case(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    user = await make_user(email="ann@example.com")

    response = await sign_in(client, "  ANN@Example.Com ")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert_token_pair(response.json())
    assert_no_secret(response, STRONG_PASSWORD)
    me_response = await me(client, response.json()["access_token"])
    assert me_response.json()["id"] == user.id


async def test_sign_in_fails_identically_for_an_unknown_email_and_a_wrong_password(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")

    wrong_password = await sign_in(client, "ann@example.com", OTHER_PASSWORD)
    unknown_email = await sign_in(client, "nobody@example.com", OTHER_PASSWORD)
    malformed_email = await sign_in(client, "not-an-email", OTHER_PASSWORD)

    body = assert_problem(wrong_password, 401, "invalid-credentials")
    assert_problem(unknown_email, 401, "invalid-credentials")
    assert_problem(malformed_email, 401, "invalid-credentials")
    assert unknown_email.json() == body
    assert malformed_email.json() == body
    assert wrong_password.headers["www-authenticate"].startswith("Bearer")
    assert unknown_email.headers["www-authenticate"] == wrong_password.headers["www-authenticate"]
    assert "ann@example.com" not in wrong_password.text


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "ann@example.com"},
        {"email": "ann@example.com", "password": STRONG_PASSWORD, "remember_me": True},
        {"email": ["ann@example.com"], "password": STRONG_PASSWORD},
    ],
    ids=["missing-password", "unknown-field", "wrong-type"],
)
async def test_sign_in_rejects_a_malformed_body_with_422(
    client: AsyncTestClient[Any], payload: dict[str, Any]
) -> None:
    response = await client.post(f"{AUTH}/sign-in", json=payload)

    assert_invalid(response)


async def test_repeated_failures_throttle_the_account_with_429_and_retry_after(
    clocked_client: AsyncTestClient[Any], clocked_services: Services, live_clock: FixedClock
) -> None:
    await add_user(clocked_services)
    for _ in range(FREE_ATTEMPTS_PER_ACCOUNT):
        assert (await sign_in(clocked_client, "ann@example.com", OTHER_PASSWORD)).status_code == 401

    throttled = await sign_in(clocked_client, "ann@example.com")  # even the right password

    assert_problem(throttled, 429, "too-many-attempts")
    retry_after = int(throttled.headers["retry-after"])
    assert retry_after >= 1
    assert throttled.headers["cache-control"] == "no-store"
    live_clock.advance(seconds=retry_after)
    assert (await sign_in(clocked_client, "ann@example.com")).status_code == 200


async def test_throttling_waits_grow_but_never_lock_the_account_for_good(
    clocked_client: AsyncTestClient[Any], clocked_services: Services, live_clock: FixedClock
) -> None:
    await add_user(clocked_services)
    for _ in range(FREE_ATTEMPTS_PER_ACCOUNT):
        await sign_in(clocked_client, "ann@example.com", OTHER_PASSWORD)
    first = int((await sign_in(clocked_client, "ann@example.com")).headers["retry-after"])
    live_clock.advance(seconds=first)
    assert (await sign_in(clocked_client, "ann@example.com", OTHER_PASSWORD)).status_code == 401

    second = await sign_in(clocked_client, "ann@example.com")

    assert_problem(second, 429)
    assert int(second.headers["retry-after"]) > first
    live_clock.advance(minutes=15)
    assert (await sign_in(clocked_client, "ann@example.com")).status_code == 200


async def test_an_unknown_email_is_throttled_like_a_known_one(
    clocked_client: AsyncTestClient[Any],
) -> None:
    for _ in range(FREE_ATTEMPTS_PER_ACCOUNT):
        assert (await sign_in(clocked_client, "nobody@example.com")).status_code == 401

    response = await sign_in(clocked_client, "nobody@example.com")

    assert_problem(response, 429, "too-many-attempts")
    assert int(response.headers["retry-after"]) >= 1


async def test_failures_from_one_client_ip_are_throttled_across_accounts(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    services = build_services(
        env_settings(SIGN_IN_FREE_ATTEMPTS_PER_IP="2"),
        clock=FixedClock(datetime.now(UTC)),
        hasher=argon2_hasher,
    )
    async with AsyncTestClient(create_app(services)) as client:
        for index in range(2):
            assert (await sign_in(client, f"guess{index}@example.com")).status_code == 401

        response = await sign_in(client, "fresh-account@example.com")

    assert_problem(response, 429, "too-many-attempts")
    assert int(response.headers["retry-after"]) >= 1


# --- refresh -------------------------------------------------------------------------


async def test_refresh_rotates_the_pair_and_spends_the_presented_token(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    first = await tokens_of(client, "ann@example.com")

    response = await refresh(client, first["refresh_token"])

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert_token_pair(second)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await me(client, second["access_token"])).status_code == 200
    spent = await refresh(client, first["refresh_token"])
    assert_problem(spent, 401, "unauthenticated")
    assert spent.headers["www-authenticate"].startswith("Bearer")


async def test_a_spent_token_within_the_grace_window_fails_without_revoking_the_family(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    first = await tokens_of(client, "ann@example.com")
    second = (await refresh(client, first["refresh_token"])).json()

    assert_problem(await refresh(client, first["refresh_token"]), 401)

    assert (await refresh(client, second["refresh_token"])).status_code == 200


async def test_reusing_a_spent_token_after_the_grace_window_revokes_its_whole_family(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    services = build_services(env_settings(REFRESH_REUSE_GRACE_SECONDS="0"), hasher=argon2_hasher)
    async with AsyncTestClient(create_app(services)) as client:
        await add_user(services)
        family = await tokens_of(client, "ann@example.com")
        other_family = await tokens_of(client, "ann@example.com")
        successor = (await refresh(client, family["refresh_token"])).json()

        reuse = await refresh(client, family["refresh_token"])
        after_reuse = await refresh(client, successor["refresh_token"])
        other = await refresh(client, other_family["refresh_token"])

    assert_problem(reuse, 401, "unauthenticated")
    assert_problem(after_reuse, 401, "unauthenticated")
    assert other.status_code == 200


async def test_the_grace_window_lasts_a_few_seconds_by_default(
    clocked_client: AsyncTestClient[Any], clocked_services: Services, live_clock: FixedClock
) -> None:
    await add_user(clocked_services)
    family = await tokens_of(clocked_client, "ann@example.com")
    successor = (await refresh(clocked_client, family["refresh_token"])).json()
    live_clock.advance(seconds=4)
    assert_problem(await refresh(clocked_client, family["refresh_token"]), 401)
    live_clock.advance(seconds=2)

    assert_problem(await refresh(clocked_client, family["refresh_token"]), 401)

    assert_problem(await refresh(clocked_client, successor["refresh_token"]), 401)


async def test_a_refresh_token_expires_after_its_idle_lifetime(
    clocked_client: AsyncTestClient[Any], clocked_services: Services, live_clock: FixedClock
) -> None:
    await add_user(clocked_services)
    tokens = await tokens_of(clocked_client, "ann@example.com")
    live_clock.advance(days=14, seconds=1)

    response = await refresh(clocked_client, tokens["refresh_token"])

    assert_problem(response, 401, "unauthenticated")


async def test_a_refresh_family_expires_after_its_absolute_lifetime_despite_use(
    clocked_client: AsyncTestClient[Any], clocked_services: Services, live_clock: FixedClock
) -> None:
    await add_user(clocked_services)
    token = (await tokens_of(clocked_client, "ann@example.com"))["refresh_token"]
    for _ in range(2):
        live_clock.advance(days=10)
        response = await refresh(clocked_client, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    live_clock.advance(days=10, seconds=1)

    response = await refresh(clocked_client, token)

    assert_problem(response, 401, "unauthenticated")


@pytest.mark.parametrize(
    "token", ["", "not-a-token", "x" * 64], ids=["empty", "garbage", "well-formed-unknown"]
)
async def test_refresh_with_an_unknown_token_is_401(
    client: AsyncTestClient[Any], token: str
) -> None:
    response = await refresh(client, token)

    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "payload",
    [{}, {"refresh_token": "x" * 513}, {"refresh_token": "abc", "user_id": "someone"}],
    ids=["missing", "too-long", "unknown-field"],
)
async def test_refresh_rejects_a_malformed_body_with_422(
    client: AsyncTestClient[Any], payload: dict[str, Any]
) -> None:
    response = await client.post(f"{AUTH}/refresh", json=payload)

    assert_invalid(response)


async def test_an_access_token_cannot_be_used_as_a_refresh_token(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    tokens = await tokens_of(client, "ann@example.com")

    response = await refresh(client, tokens["access_token"])

    assert_problem(response, 401)


# --- sign-out ------------------------------------------------------------------------


async def test_sign_out_revokes_the_family_of_the_token(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    family = await tokens_of(client, "ann@example.com")
    other_family = await tokens_of(client, "ann@example.com")
    successor = (await refresh(client, family["refresh_token"])).json()

    response = await client.post(
        f"{AUTH}/sign-out", json={"refresh_token": successor["refresh_token"]}
    )

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert_problem(await refresh(client, successor["refresh_token"]), 401)
    assert_problem(await refresh(client, family["refresh_token"]), 401)
    assert (await refresh(client, other_family["refresh_token"])).status_code == 200


async def test_sign_out_is_idempotent_and_answers_204_for_an_unknown_token(
    client: AsyncTestClient[Any], make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    tokens = await tokens_of(client, "ann@example.com")
    body = {"refresh_token": tokens["refresh_token"]}

    unknown = await client.post(f"{AUTH}/sign-out", json={"refresh_token": "never-issued"})
    first = await client.post(f"{AUTH}/sign-out", json=body)
    again = await client.post(f"{AUTH}/sign-out", json=body)

    assert [unknown.status_code, first.status_code, again.status_code] == [204, 204, 204]


@pytest.mark.parametrize(
    "payload",
    [{}, {"refresh_token": "abc", "everywhere": True}],
    ids=["missing", "unknown-field"],
)
async def test_sign_out_rejects_a_malformed_body_with_422(
    client: AsyncTestClient[Any], payload: dict[str, Any]
) -> None:
    response = await client.post(f"{AUTH}/sign-out", json=payload)

    assert_invalid(response)
