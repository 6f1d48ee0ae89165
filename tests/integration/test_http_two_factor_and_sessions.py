"""HTTP tests of two-factor sign-in, per-device sessions and the audit trail (issue 8
contract): `/api/v1/users/me/two-factor*`, `/api/v1/auth/sign-in/totp`,
`/api/v1/users/me/sessions*`, `/api/v1/users/me/audit` and `/api/v1/audit`.

The services run on a hand-moved clock so authenticator codes are deterministic: a code
is good once per 30-second step, so the tests move the clock a step before each new one.
The clock starts ten minutes before the real time, because the JWT adapter checks access
tokens against the real time (15-minute lifetime, 30-second leeway): a token issued at
the clock's time stays valid while the clock is moved up to ten minutes on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import jwt
import pyotp
import pytest
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from adapters.security.argon2_hasher import Argon2PasswordHasher
from domain.users import Role
from entrypoints.bootstrap import Services, build_services
from entrypoints.settings import Settings
from tests.conftest import STRONG_PASSWORD, MakeUser
from tests.fakes import FixedClock
from tests.integration.problems import assert_invalid, assert_problem

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
ME = f"{USERS}/me"
TWO_FACTOR = f"{ME}/two-factor"
SESSIONS = f"{ME}/sessions"
MY_AUDIT = f"{ME}/audit"
AUDIT = "/api/v1/audit"
COOKIE_MODE = {"X-Refresh-Token-Transport": "cookie"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
BACKUP_CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")
TOKEN_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in"}
SESSION_FIELDS = {"id", "device", "ip", "created_at", "last_used_at", "expires_at", "current"}
AUDIT_FIELDS = {
    "id",
    "type",
    "at",
    "user_id",
    "actor_id",
    "ip",
    "request_id",
    "user_agent",
    "details",
}
AUDIT_TYPES = {
    "sign_up",
    "sign_in.succeeded",
    "sign_in.failed",
    "sign_in.challenged",
    "two_factor.failed",
    "refresh.reused",
    "session.revoked",
    "session.others_revoked",
    "password.changed",
    "password.reset_requested",
    "password.reset",
    "email.verified",
    "email.changed",
    "two_factor.enabled",
    "two_factor.disabled",
    "two_factor.backup_code_used",
    "user.created",
    "user.role_changed",
    "user.deleted",
}
ANN = "ann@example.com"
BOB = "bob@example.com"
WRONG_PASSWORD = "definitely not the password"
FREE_CODE_ATTEMPTS = 5  # SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT

Client = AsyncTestClient[Any]
Headers = dict[str, str]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC) - timedelta(minutes=10))


@pytest.fixture
def services(
    settings: Settings,
    clock: FixedClock,
    argon2_hasher: Argon2PasswordHasher,
    outbox: InMemoryEmailSender,
) -> Services:
    """Production wiring on the hand-moved clock, sharing the session's argon2 hasher."""
    return build_services(settings, clock=clock, hasher=argon2_hasher, email=outbox)


# --- helpers -------------------------------------------------------------------------


def assert_token_pair(tokens: Any) -> None:
    assert set(tokens) == TOKEN_FIELDS
    assert tokens["token_type"] == "Bearer"
    assert isinstance(tokens["access_token"], str)
    assert tokens["access_token"]
    assert len(tokens["refresh_token"]) >= 43


def bearer(tokens: dict[str, Any]) -> Headers:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def session_id_of(tokens: dict[str, Any]) -> str:
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    sid: str = claims["sid"]
    return sid


def code_at(secret: str, clock: FixedClock) -> str:
    """The authenticator app's code at the services' time."""
    return pyotp.TOTP(secret).at(clock.now())


def next_code(secret: str, clock: FixedClock) -> str:
    """Move on one 30-second step (a code works once) and answer that step's code."""
    clock.advance(seconds=30)
    return code_at(secret, clock)


def refresh_cookies(response: httpx.Response) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if "refresh_token=" in h]


async def sign_in(
    client: Client,
    email: str = ANN,
    password: str = STRONG_PASSWORD,
    headers: Headers | None = None,
) -> httpx.Response:
    response = await client.post(
        f"{AUTH}/sign-in", json={"email": email, "password": password}, headers=headers or {}
    )
    client.cookies.clear()
    return response


async def tokens_of(client: Client, email: str = ANN, user_agent: str = "pytest") -> Any:
    response = await sign_in(client, email, headers={"User-Agent": user_agent})
    assert response.status_code == 200, response.text
    return response.json()


async def challenge_of(client: Client, email: str = ANN) -> str:
    response = await sign_in(client, email)
    assert response.status_code == 202, response.text
    challenge: str = response.json()["challenge"]
    return challenge


async def sign_in_totp(
    client: Client, challenge: str, code: str, headers: Headers | None = None
) -> httpx.Response:
    response = await client.post(
        f"{AUTH}/sign-in/totp", json={"challenge": challenge, "code": code}, headers=headers or {}
    )
    client.cookies.clear()
    return response


async def refresh(client: Client, refresh_token: str) -> httpx.Response:
    return await client.post(f"{AUTH}/refresh", json={"refresh_token": refresh_token})


async def me(client: Client, headers: Headers) -> Any:
    response = await client.get(ME, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def enroll(client: Client, headers: Headers) -> dict[str, str]:
    response = await client.post(TWO_FACTOR, json={"password": STRONG_PASSWORD}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def enable_two_factor(
    client: Client, clock: FixedClock, headers: Headers
) -> tuple[str, list[str]]:
    """Enroll and confirm; answers the secret and the backup codes."""
    secret = (await enroll(client, headers))["secret"]
    response = await client.post(
        f"{TWO_FACTOR}/confirm", json={"code": code_at(secret, clock)}, headers=headers
    )
    assert response.status_code == 200, response.text
    codes: list[str] = response.json()["backup_codes"]
    return secret, codes


@pytest.fixture
async def ann(client: Client, make_user: MakeUser) -> Headers:
    """Ann, signed in (no two-factor yet)."""
    await make_user(email=ANN)
    return bearer(await tokens_of(client))


@pytest.fixture
async def ann_2fa(client: Client, clock: FixedClock, ann: Headers) -> tuple[str, list[str]]:
    """Ann with two-factor on: her secret and backup codes."""
    return await enable_two_factor(client, clock, ann)


# --- POST /users/me/two-factor -----------------------------------------------------------


async def test_enrolling_answers_a_secret_and_an_otpauth_uri(client: Client, ann: Headers) -> None:
    response = await client.post(TWO_FACTOR, json={"password": STRONG_PASSWORD}, headers=ann)

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri"}
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert pyotp.parse_uri(body["otpauth_uri"]).secret == body["secret"]
    # Pending until confirmed.
    assert (await me(client, ann))["two_factor_enabled"] is False
    assert (await sign_in(client)).status_code == 200


async def test_enrolling_with_a_wrong_password_is_a_401_invalid_credentials(
    client: Client, ann: Headers
) -> None:
    response = await client.post(TWO_FACTOR, json={"password": WRONG_PASSWORD}, headers=ann)

    assert_problem(response, 401, "invalid-credentials")
    assert WRONG_PASSWORD not in response.text


async def test_enrolling_when_two_factor_is_on_is_a_409_two_factor_state(
    client: Client, ann: Headers, ann_2fa: tuple[str, list[str]]
) -> None:
    response = await client.post(TWO_FACTOR, json={"password": STRONG_PASSWORD}, headers=ann)

    assert_problem(response, 409, "two-factor-state")


@pytest.mark.parametrize("body", [{}, {"password": 1}, {"password": "x", "role": "admin"}])
async def test_a_malformed_enrollment_is_a_422(
    client: Client, ann: Headers, body: dict[str, Any]
) -> None:
    assert_invalid(await client.post(TWO_FACTOR, json=body, headers=ann))


# --- POST /users/me/two-factor/confirm ---------------------------------------------------


async def test_confirming_answers_ten_backup_codes_and_turns_two_factor_on(
    client: Client, clock: FixedClock, ann: Headers
) -> None:
    secret = (await enroll(client, ann))["secret"]

    response = await client.post(
        f"{TWO_FACTOR}/confirm", json={"code": code_at(secret, clock)}, headers=ann
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"backup_codes"}
    codes = body["backup_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(BACKUP_CODE.match(code) for code in codes), codes
    assert (await me(client, ann))["two_factor_enabled"] is True


async def test_confirming_with_a_wrong_code_is_a_422_on_code_and_stays_pending(
    client: Client, clock: FixedClock, ann: Headers
) -> None:
    secret = (await enroll(client, ann))["secret"]
    right = code_at(secret, clock)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = await client.post(f"{TWO_FACTOR}/confirm", json={"code": wrong}, headers=ann)

    assert "code" in assert_invalid(response)
    assert (await me(client, ann))["two_factor_enabled"] is False
    retry = await client.post(f"{TWO_FACTOR}/confirm", json={"code": right}, headers=ann)
    assert retry.status_code == 200, retry.text


async def test_confirming_with_nothing_pending_is_a_409(client: Client, ann: Headers) -> None:
    response = await client.post(f"{TWO_FACTOR}/confirm", json={"code": "123456"}, headers=ann)

    assert_problem(response, 409, "two-factor-state")


async def test_confirming_when_two_factor_is_on_already_is_a_409(
    client: Client, clock: FixedClock, ann: Headers, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    code = next_code(secret, clock)

    response = await client.post(f"{TWO_FACTOR}/confirm", json={"code": code}, headers=ann)

    assert_problem(response, 409, "two-factor-state")


# --- sign-in with two-factor on -----------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, COOKIE_MODE], ids=["body-mode", "cookie-mode"])
async def test_signing_in_with_two_factor_on_answers_a_202_challenge_without_tokens(
    client: Client, ann_2fa: tuple[str, list[str]], headers: Headers
) -> None:
    response = await client.post(
        f"{AUTH}/sign-in", json={"email": ANN, "password": STRONG_PASSWORD}, headers=headers
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"challenge", "expires_in", "methods"}
    assert isinstance(body["challenge"], str)
    assert len(body["challenge"]) >= 43
    assert body["expires_in"] == 300
    assert body["methods"] == ["totp", "backup_code"]
    assert response.headers.get_list("set-cookie") == []
    assert "access_token" not in response.text
    assert "refresh_token" not in response.text


async def test_a_wrong_password_with_two_factor_on_is_still_a_401(
    client: Client, ann_2fa: tuple[str, list[str]]
) -> None:
    assert_problem(await sign_in(client, password=WRONG_PASSWORD), 401, "invalid-credentials")


async def test_the_app_code_completes_the_sign_in_with_a_token_pair(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    challenge = await challenge_of(client)

    response = await sign_in_totp(client, challenge, next_code(secret, clock))

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert_token_pair(tokens)
    assert refresh_cookies(response) == []
    profile = await me(client, bearer(tokens))
    assert profile["email"] == ANN
    assert profile["two_factor_enabled"] is True
    assert (await refresh(client, tokens["refresh_token"])).status_code == 200


async def test_the_app_code_in_cookie_mode_sets_the_refresh_cookie_and_no_body_token(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    challenge_response = await sign_in(client, headers=COOKIE_MODE)
    assert challenge_response.status_code == 202, challenge_response.text
    challenge = challenge_response.json()["challenge"]

    response = await sign_in_totp(client, challenge, next_code(secret, clock), COOKIE_MODE)

    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    assert body["token_type"] == "Bearer"
    [cookie] = refresh_cookies(response)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path", "samesite"} <= attributes
    value = cookie.split(";")[0].partition("=")[2]
    assert len(value) >= 43
    await me(client, bearer(body))  # the access token works
    rotated = await client.post(
        f"{AUTH}/refresh", headers={**COOKIE_MODE, "Cookie": f"refresh_token={value}"}
    )
    client.cookies.clear()
    assert rotated.status_code == 200, rotated.text


async def test_a_backup_code_completes_the_sign_in_once(
    client: Client, ann_2fa: tuple[str, list[str]]
) -> None:
    _, codes = ann_2fa

    response = await sign_in_totp(client, await challenge_of(client), codes[0].lower())

    assert response.status_code == 200, response.text
    assert_token_pair(response.json())
    reused = await sign_in_totp(client, await challenge_of(client), codes[0])
    assert_problem(reused, 401, "invalid-code")
    other = await sign_in_totp(client, await challenge_of(client), codes[1])
    assert other.status_code == 200, other.text


async def test_a_wrong_code_is_a_401_invalid_code_and_the_challenge_stays_usable(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    challenge = await challenge_of(client)
    right = next_code(secret, clock)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    for code in (wrong, "ABCD-EFGH-JKLM-NPQR", "not a code"):
        response = await sign_in_totp(client, challenge, code)
        assert_problem(response, 401, "invalid-code")
        assert "access_token" not in response.text
    assert (await sign_in_totp(client, challenge, right)).status_code == 200


async def test_a_code_already_used_is_a_401_invalid_code(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    # The code that confirmed the enrollment, still within its step.
    confirmed_with = code_at(secret, clock)
    assert_problem(
        await sign_in_totp(client, await challenge_of(client), confirmed_with), 401, "invalid-code"
    )
    code = next_code(secret, clock)
    assert (await sign_in_totp(client, await challenge_of(client), code)).status_code == 200

    replayed = await sign_in_totp(client, await challenge_of(client), code)

    assert_problem(replayed, 401, "invalid-code")


async def test_a_used_challenge_is_a_401_invalid_code(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    challenge = await challenge_of(client)
    assert (await sign_in_totp(client, challenge, next_code(secret, clock))).status_code == 200

    response = await sign_in_totp(client, challenge, next_code(secret, clock))

    assert_problem(response, 401, "invalid-code")


async def test_an_expired_challenge_is_a_401_invalid_code(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    challenge = await challenge_of(client)
    clock.advance(seconds=301)

    response = await sign_in_totp(client, challenge, code_at(secret, clock))

    assert_problem(response, 401, "invalid-code")


async def test_an_unknown_challenge_is_a_401_invalid_code(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa

    response = await sign_in_totp(client, "c" * 43, next_code(secret, clock))

    assert_problem(response, 401, "invalid-code")


async def test_repeated_wrong_codes_are_throttled_with_retry_after(
    client: Client, clock: FixedClock, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    challenge = await challenge_of(client)
    right = next_code(secret, clock)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(FREE_CODE_ATTEMPTS):
        assert_problem(await sign_in_totp(client, challenge, wrong), 401, "invalid-code")

    response = await sign_in_totp(client, challenge, wrong)

    assert_problem(response, 429, "too-many-attempts")
    assert int(response.headers["retry-after"]) >= 1
    # Even the right code waits its turn; after the wait it works.
    assert_problem(await sign_in_totp(client, challenge, right), 429, "too-many-attempts")
    clock.advance(seconds=int(response.headers["retry-after"]))
    assert (await sign_in_totp(client, challenge, right)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "123456"}, "challenge"),
        ({"challenge": "c" * 43}, "code"),
        ({"challenge": "", "code": "123456"}, "challenge"),
        ({"challenge": "c" * 43, "code": ""}, "code"),
        ({"challenge": "c" * 43, "code": "123456", "email": ANN}, "email"),
    ],
    ids=["no-challenge", "no-code", "empty-challenge", "empty-code", "unknown-field"],
)
async def test_a_malformed_code_step_is_a_422(
    client: Client, body: dict[str, Any], field: str
) -> None:
    assert field in assert_invalid(await client.post(f"{AUTH}/sign-in/totp", json=body))


# --- POST /users/me/two-factor/disable ---------------------------------------------------


async def test_disabling_with_password_and_code_turns_two_factor_off(
    client: Client, clock: FixedClock, ann: Headers, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    body = {"password": STRONG_PASSWORD, "code": next_code(secret, clock)}

    response = await client.post(f"{TWO_FACTOR}/disable", json=body, headers=ann)

    assert response.status_code == 204, response.text
    assert response.content == b""
    # A credential change: every session ends, this one too.
    assert (await client.get("/api/v1/users/me", headers=ann)).status_code == 401
    signed_in = await sign_in(client)
    assert signed_in.status_code == 200
    assert (await me(client, bearer(signed_in.json())))["two_factor_enabled"] is False


async def test_disabling_with_a_backup_code_works(
    client: Client, ann: Headers, ann_2fa: tuple[str, list[str]]
) -> None:
    _, codes = ann_2fa
    body = {"password": STRONG_PASSWORD, "code": codes[3]}

    assert (await client.post(f"{TWO_FACTOR}/disable", json=body, headers=ann)).status_code == 204


async def test_disabling_with_a_wrong_password_is_a_401(
    client: Client, clock: FixedClock, ann: Headers, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    body = {"password": WRONG_PASSWORD, "code": next_code(secret, clock)}

    response = await client.post(f"{TWO_FACTOR}/disable", json=body, headers=ann)

    assert_problem(response, 401, "invalid-credentials")
    assert (await me(client, ann))["two_factor_enabled"] is True


async def test_disabling_with_a_wrong_code_is_a_401(
    client: Client, clock: FixedClock, ann: Headers, ann_2fa: tuple[str, list[str]]
) -> None:
    secret, _ = ann_2fa
    right = next_code(secret, clock)
    body = {"password": STRONG_PASSWORD, "code": f"{(int(right) + 1) % 1_000_000:06d}"}

    response = await client.post(f"{TWO_FACTOR}/disable", json=body, headers=ann)

    # As for a wrong password: which of the two was wrong is not said.
    assert_problem(response, 401, "invalid-credentials")
    assert (await me(client, ann))["two_factor_enabled"] is True


async def test_disabling_when_two_factor_is_off_is_a_409(client: Client, ann: Headers) -> None:
    body = {"password": STRONG_PASSWORD, "code": "123456"}

    response = await client.post(f"{TWO_FACTOR}/disable", json=body, headers=ann)

    assert_problem(response, 409, "two-factor-state")


@pytest.mark.parametrize("body", [{}, {"password": STRONG_PASSWORD}, {"code": "123456"}])
async def test_a_malformed_disable_is_a_422(
    client: Client, ann: Headers, body: dict[str, Any]
) -> None:
    assert_invalid(await client.post(f"{TWO_FACTOR}/disable", json=body, headers=ann))


async def test_a_password_reset_leaves_two_factor_on(
    client: Client,
    clock: FixedClock,
    outbox: InMemoryEmailSender,
    ann_2fa: tuple[str, list[str]],
) -> None:
    secret, _ = ann_2fa
    requested = await client.post(f"{AUTH}/password-reset", json={"email": ANN})
    assert requested.status_code == 202, requested.text
    token = outbox.links(ANN)[-1].partition("#token=")[2]
    new_password = "tremendous purple elephant dance"
    body = {"token": unquote(token), "new_password": new_password}
    assert (await client.post(f"{AUTH}/password-reset/confirm", json=body)).status_code == 204

    response = await sign_in(client, password=new_password)

    assert response.status_code == 202, response.text
    challenge = response.json()["challenge"]
    assert (await sign_in_totp(client, challenge, next_code(secret, clock))).status_code == 200


# --- sessions --------------------------------------------------------------------------


async def test_the_session_list_shows_each_signed_in_device_and_marks_the_current_one(
    client: Client, clock: FixedClock, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    laptop = await tokens_of(client, user_agent="Laptop Firefox/130")
    clock.advance(seconds=1)
    phone = await tokens_of(client, user_agent="Phone Safari/18")

    response = await client.get(SESSIONS, headers=bearer(phone))

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items"}
    items = body["items"]
    assert len(items) == 2
    for item in items:
        assert set(item) == SESSION_FIELDS
        for name in ("created_at", "last_used_at", "expires_at"):
            assert RFC3339_UTC.match(item[name]), item
        assert item["created_at"] <= item["last_used_at"] < item["expires_at"]
        assert isinstance(item["ip"], str)
        assert item["ip"]
    # Most recently used first.
    assert [item["id"] for item in items] == [session_id_of(phone), session_id_of(laptop)]
    by_id = {item["id"]: item for item in items}
    assert by_id[session_id_of(laptop)]["device"] == "Laptop Firefox/130"
    assert by_id[session_id_of(phone)]["device"] == "Phone Safari/18"
    assert [item["current"] for item in items].count(True) == 1
    assert by_id[session_id_of(phone)]["current"] is True
    from_laptop = (await client.get(SESSIONS, headers=bearer(laptop))).json()["items"]
    assert [i["id"] for i in from_laptop if i["current"]] == [session_id_of(laptop)]
    for secret in (laptop["refresh_token"], phone["refresh_token"]):
        assert secret not in response.text


async def test_a_refresh_keeps_the_session_and_moves_its_last_use(
    client: Client, clock: FixedClock, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    tokens = await tokens_of(client)
    clock.advance(seconds=5)

    refreshed = await refresh(client, tokens["refresh_token"])

    assert refreshed.status_code == 200, refreshed.text
    [item] = (await client.get(SESSIONS, headers=bearer(refreshed.json()))).json()["items"]
    assert item["id"] == session_id_of(tokens)
    assert item["current"] is True
    assert item["last_used_at"] > item["created_at"]


async def test_revoking_a_session_ends_its_refresh_token(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    mine = await tokens_of(client, user_agent="Laptop")
    other = await tokens_of(client, user_agent="Phone")

    response = await client.delete(f"{SESSIONS}/{session_id_of(other)}", headers=bearer(mine))

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_problem(await refresh(client, other["refresh_token"]), 401)
    items = (await client.get(SESSIONS, headers=bearer(mine))).json()["items"]
    assert [item["id"] for item in items] == [session_id_of(mine)]
    assert (await refresh(client, mine["refresh_token"])).status_code == 200
    again = await client.delete(f"{SESSIONS}/{session_id_of(other)}", headers=bearer(mine))
    assert_problem(again, 404, "not-found")


async def test_revoking_an_unknown_session_is_a_404(client: Client, ann: Headers) -> None:
    response = await client.delete(f"{SESSIONS}/no-such-session", headers=ann)

    assert_problem(response, 404, "not-found")


async def test_revoking_another_users_session_is_a_404_and_leaves_it_alone(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    await make_user(email=BOB, name="Bob")
    ann = await tokens_of(client, ANN)
    bob = await tokens_of(client, BOB)

    response = await client.delete(f"{SESSIONS}/{session_id_of(bob)}", headers=bearer(ann))

    assert_problem(response, 404, "not-found")
    assert (await refresh(client, bob["refresh_token"])).status_code == 200


async def test_signing_out_everywhere_else_ends_the_other_sessions_only(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    await make_user(email=BOB, name="Bob")
    current = await tokens_of(client, user_agent="Laptop")
    others = [await tokens_of(client, user_agent=f"Device {i}") for i in range(2)]
    bob = await tokens_of(client, BOB)

    response = await client.delete(SESSIONS, headers=bearer(current))

    assert response.status_code == 204, response.text
    assert response.content == b""
    for other in others:
        assert_problem(await refresh(client, other["refresh_token"]), 401)
    refreshed = await refresh(client, current["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    items = (await client.get(SESSIONS, headers=bearer(refreshed.json()))).json()["items"]
    assert [item["id"] for item in items] == [session_id_of(current)]
    assert (await refresh(client, bob["refresh_token"])).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", SESSIONS, None),
        ("DELETE", SESSIONS, None),
        ("DELETE", f"{SESSIONS}/some-session", None),
        ("POST", TWO_FACTOR, {"password": STRONG_PASSWORD}),
        ("POST", f"{TWO_FACTOR}/confirm", {"code": "123456"}),
        ("POST", f"{TWO_FACTOR}/disable", {"password": STRONG_PASSWORD, "code": "123456"}),
        ("GET", MY_AUDIT, None),
        ("GET", AUDIT, None),
    ],
)
async def test_the_signed_in_routes_are_a_401_without_a_bearer_token(
    client: Client, method: str, path: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, path, json=body)

    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_signed_in_routes_are_a_401_with_a_bad_bearer_token(client: Client) -> None:
    response = await client.get(SESSIONS, headers={"Authorization": "Bearer not-a-jwt"})

    assert_problem(response, 401, "unauthenticated")


# --- audit -----------------------------------------------------------------------------


async def test_my_audit_trail_lists_the_flows_newest_first_without_secrets(
    client: Client, clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    # The events of each step, in order; one step's events share the clock's time, and
    # their order among themselves is not specified.
    steps: list[list[str]] = []
    secrets: list[str] = []

    def step(*types: str) -> None:
        steps.append(sorted(types))
        clock.advance(seconds=1)

    signed_up = await client.post(
        f"{AUTH}/sign-up", json={"email": ANN, "password": STRONG_PASSWORD, "name": "Ann"}
    )
    client.cookies.clear()
    assert signed_up.status_code == 201, signed_up.text
    user_id = signed_up.json()["user"]["id"]
    secrets.append(signed_up.json()["tokens"]["refresh_token"])
    step("sign_up")
    link_token = outbox.links(ANN)[-1].partition("#token=")[2]
    verified = await client.post(f"{AUTH}/verify-email", json={"token": link_token})
    assert verified.status_code == 204, verified.text
    secrets.append(link_token)
    step("email.verified")
    assert_problem(await sign_in(client, password=WRONG_PASSWORD), 401)
    step("sign_in.failed")
    tokens = await tokens_of(client, user_agent="Audit Browser/1.0")
    headers = bearer(tokens)
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    step("sign_in.succeeded")
    secret, backup_codes = await enable_two_factor(client, clock, headers)
    secrets += [secret, *backup_codes]
    step("two_factor.enabled")
    challenge = await challenge_of(client)
    secrets.append(challenge)
    step("sign_in.challenged")
    assert_problem(await sign_in_totp(client, challenge, "000000"), 401)
    step("two_factor.failed")
    code = next_code(secret, clock)
    assert (await sign_in_totp(client, challenge, code)).status_code == 200
    step("sign_in.succeeded")
    backup_challenge = await challenge_of(client)
    step("sign_in.challenged")
    second = await sign_in_totp(client, backup_challenge, backup_codes[0])
    assert second.status_code == 200, second.text
    step("two_factor.backup_code_used", "sign_in.succeeded")
    revoked = await client.delete(f"{SESSIONS}/{session_id_of(second.json())}", headers=headers)
    assert revoked.status_code == 204, revoked.text
    step("session.revoked")
    assert (await client.delete(SESSIONS, headers=headers)).status_code == 204
    step("session.others_revoked")
    body = {"password": STRONG_PASSWORD, "code": next_code(secret, clock)}
    assert (
        await client.post(f"{TWO_FACTOR}/disable", json=body, headers=headers)
    ).status_code == 204
    step("two_factor.disabled")
    # Turning two-factor off ended every session: sign in again to read the trail.
    headers = bearer(await tokens_of(client))
    step("sign_in.succeeded")

    response = await client.get(MY_AUDIT, params={"limit": 100}, headers=headers)

    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    items = page["items"]
    by_time: dict[str, list[str]] = {}
    for item in items:
        by_time.setdefault(item["at"], []).append(item["type"])
    assert [sorted(types) for types in by_time.values()] == steps[::-1]
    for item in items:
        assert set(item) == AUDIT_FIELDS
        assert item["type"] in AUDIT_TYPES
        assert item["user_id"] == user_id
        assert item["actor_id"] in {user_id, None}
        assert RFC3339_UTC.match(item["at"]), item
        assert item["ip"]
        assert item["request_id"]
        assert all(isinstance(v, str) for v in item["details"].values())
    ats = [item["at"] for item in items]
    assert ats == sorted(ats, reverse=True)
    by_type = {item["type"]: item for item in items}
    assert by_type["session.revoked"]["details"].get("session_id") == session_id_of(second.json())
    assert any(item["user_agent"] == "Audit Browser/1.0" for item in items)
    text = response.text
    for secret_value in [*secrets, STRONG_PASSWORD, WRONG_PASSWORD, code, *backup_codes]:
        assert secret_value not in text
    assert "$argon2" not in text


async def test_the_audit_trail_pages_with_limit_and_cursor(
    client: Client, clock: FixedClock, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    for _ in range(4):
        await tokens_of(client)
        clock.advance(seconds=1)
    headers = bearer(await tokens_of(client))
    everything = (await client.get(MY_AUDIT, headers=headers)).json()
    assert len(everything["items"]) == 5
    assert everything["next_cursor"] is None

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(MY_AUDIT, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert pages == 3
    assert seen == [item["id"] for item in everything["items"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "!!not-a-cursor!!"}, "cursor"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),  # base64 of "not a cursor"
    ],
    ids=["limit-0", "limit-101", "limit-not-a-number", "cursor-garbage", "cursor-not-ours"],
)
@pytest.mark.parametrize("path", [MY_AUDIT, AUDIT], ids=["mine", "admin"])
async def test_a_bad_audit_page_request_is_a_422(
    client: Client, make_user: MakeUser, params: dict[str, Any], field: str, path: str
) -> None:
    await make_user(email=ANN, role=Role.ADMIN)
    headers = bearer(await tokens_of(client))

    response = await client.get(path, params=params, headers=headers)

    assert field in assert_invalid(response)


async def test_an_admin_reads_one_users_audit_trail_or_everyones(
    client: Client, make_user: MakeUser
) -> None:
    ann = await make_user(email=ANN)
    bob = await make_user(email=BOB, name="Bob")
    admin = await make_user(email="root@example.com", name="Root", role=Role.ADMIN)
    await tokens_of(client, ANN)
    await tokens_of(client, BOB)
    admin_headers = bearer(await tokens_of(client, "root@example.com"))

    one = await client.get(AUDIT, params={"user_id": ann.id}, headers=admin_headers)
    everyone = await client.get(AUDIT, params={"limit": 100}, headers=admin_headers)

    assert one.status_code == 200, one.text
    items = one.json()["items"]
    assert [item["type"] for item in items] == ["sign_in.succeeded"]
    assert {item["user_id"] for item in items} == {ann.id}
    assert everyone.status_code == 200, everyone.text
    assert {item["user_id"] for item in everyone.json()["items"]} == {ann.id, bob.id, admin.id}
    assert everyone.json()["next_cursor"] is None


async def test_a_non_admin_may_not_read_the_audit_trail_of_others(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    bob = await make_user(email=BOB, name="Bob")
    headers = bearer(await tokens_of(client, ANN))

    assert_problem(
        await client.get(AUDIT, params={"user_id": bob.id}, headers=headers), 403, "forbidden"
    )
    assert_problem(await client.get(AUDIT, headers=headers), 403, "forbidden")


async def test_an_admin_with_an_unverified_email_gets_403_email_unverified(
    client: Client, make_user: MakeUser
) -> None:
    ann = await make_user(email=ANN)
    await make_user(email="root@example.com", name="Root", role=Role.ADMIN, email_verified=False)
    headers = bearer(await tokens_of(client, "root@example.com"))

    by_user = await client.get(AUDIT, params={"user_id": ann.id}, headers=headers)
    everyone = await client.get(AUDIT, headers=headers)
    users = await client.get(USERS, headers=headers)

    assert_problem(by_user, 403, "email-unverified")
    assert_problem(everyone, 403, "email-unverified")
    assert_problem(users, 403, "email-unverified")
    # Their own trail and profile stay readable.
    assert (await client.get(MY_AUDIT, headers=headers)).status_code == 200
    assert (await me(client, headers))["email_verified"] is False
