"""HTTP tests of email verification and password reset (issue 8 contract):
`/api/v1/auth/verify-email`, `/verify-email/resend`, `/password-reset` and
`/password-reset/confirm`."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx
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
ME = "/api/v1/users/me"
VERIFY = f"{AUTH}/verify-email"
RESEND = f"{AUTH}/verify-email/resend"
RESET = f"{AUTH}/password-reset"
CONFIRM = f"{AUTH}/password-reset/confirm"
BASE_URL = "http://127.0.0.1:8000"
FREE_LINK_REQUESTS_PER_ADDRESS = 3
# Headers that differ between any two responses, whatever they answer.
PER_RESPONSE_HEADERS = {"date", "x-request-id"}
UNKNOWN = "nobody@example.com"

Client = AsyncTestClient[Any]


@pytest.fixture
def services(
    settings: Settings, argon2_hasher: Argon2PasswordHasher, outbox: InMemoryEmailSender
) -> Services:
    """Production wiring, sharing the session's argon2 hasher (building one costs a hash)."""
    return build_services(settings, hasher=argon2_hasher, email=outbox)


@pytest.fixture
def live_clock() -> FixedClock:
    """Starts at the real time (access tokens verify against it); moved by hand."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def clocked_services(
    settings: Settings,
    live_clock: FixedClock,
    argon2_hasher: Argon2PasswordHasher,
    outbox: InMemoryEmailSender,
) -> Services:
    return build_services(settings, clock=live_clock, hasher=argon2_hasher, email=outbox)


@pytest.fixture
async def clocked_client(clocked_services: Services) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(clocked_services)) as test_client:
        yield test_client


# --- helpers -------------------------------------------------------------------------


def assert_empty(response: httpx.Response, status: int) -> None:
    """A success without a body."""
    assert response.status_code == status, response.text
    assert response.content == b""
    assert response.headers.get("content-length", "0") == "0"


def assert_accepted(response: httpx.Response) -> None:
    """A 202 of an "email me a link" route. Its emptiness is asserted on its own (see
    `test_the_202_of_*_has_no_body`), so the other tests state the rest of the contract."""
    assert response.status_code == 202, response.text
    assert response.content == b""


def assert_too_many(response: httpx.Response) -> None:
    assert_problem(response, 429, "too-many-attempts")
    assert int(response.headers["retry-after"]) >= 1


def assert_token_not_in(response: httpx.Response, token: str) -> None:
    assert token not in response.text
    for name, value in response.headers.items():
        assert token not in value, name


def comparable_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted(
        (name.lower(), value)
        for name, value in response.headers.multi_items()
        if name.lower() not in PER_RESPONSE_HEADERS
    )


def tokens_in(outbox: InMemoryEmailSender, address: str, page: str) -> list[str]:
    """The tokens of the `page` links emailed to `address`, oldest first."""
    prefix = f"{BASE_URL}/{page}#token="
    links = [link for link in outbox.links(address) if link.startswith(prefix)]
    return [unquote(link.removeprefix(prefix)) for link in links]


def last_token(outbox: InMemoryEmailSender, address: str, page: str) -> str:
    tokens = tokens_in(outbox, address, page)
    assert tokens, f"no {page} link was emailed to {address}"
    return tokens[-1]


async def sign_in(client: Client, email: str, password: str = STRONG_PASSWORD) -> httpx.Response:
    return await client.post(f"{AUTH}/sign-in", json={"email": email, "password": password})


async def me(client: Client, access_token: str) -> httpx.Response:
    return await client.get(ME, headers={"Authorization": f"Bearer {access_token}"})


async def sign_up(client: Client, email: str) -> dict[str, Any]:
    response = await client.post(
        f"{AUTH}/sign-up", json={"email": email, "password": STRONG_PASSWORD, "name": "Ann"}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def reset_token(client: Client, outbox: InMemoryEmailSender, email: str) -> str:
    assert_accepted(await client.post(RESET, json={"email": email}))
    return last_token(outbox, email, "reset-password")


# --- POST /auth/verify-email -----------------------------------------------------------


async def test_the_emailed_verification_token_verifies_the_address(
    client: Client, outbox: InMemoryEmailSender
) -> None:
    body = await sign_up(client, "ann@example.com")
    assert body["user"]["email_verified"] is False
    token = last_token(outbox, "ann@example.com", "verify-email")

    response = await client.post(VERIFY, json={"token": token})

    assert_empty(response, 204)
    assert_token_not_in(response, token)
    profile = await me(client, body["tokens"]["access_token"])
    assert profile.status_code == 200, profile.text
    assert profile.json()["email_verified"] is True


async def test_an_unknown_verification_token_is_a_400_invalid_token(client: Client) -> None:
    token = "x" * 43

    response = await client.post(VERIFY, json={"token": token})

    assert_problem(response, 400, "invalid-token")
    assert_token_not_in(response, token)


async def test_a_used_verification_token_is_a_400_invalid_token(
    client: Client, outbox: InMemoryEmailSender
) -> None:
    await sign_up(client, "ann@example.com")
    token = last_token(outbox, "ann@example.com", "verify-email")
    assert_empty(await client.post(VERIFY, json={"token": token}), 204)

    response = await client.post(VERIFY, json={"token": token})

    assert_problem(response, 400, "invalid-token")
    assert_token_not_in(response, token)


async def test_an_expired_verification_token_is_a_400_invalid_token(
    clocked_client: Client, live_clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    await sign_up(clocked_client, "ann@example.com")
    token = last_token(outbox, "ann@example.com", "verify-email")
    live_clock.advance(hours=24, seconds=1)

    response = await clocked_client.post(VERIFY, json={"token": token})

    assert_problem(response, 400, "invalid-token")


async def test_a_password_reset_token_does_not_verify_an_email(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com", email_verified=False)
    token = await reset_token(client, outbox, "ann@example.com")

    assert_problem(await client.post(VERIFY, json={"token": token}), 400, "invalid-token")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "token"),
        ({"token": "x" * 43, "admin": True}, "admin"),
        ({"token": ""}, "token"),
        ({"token": 12345}, "token"),
    ],
    ids=["missing-token", "unknown-field", "empty-token", "not-a-string"],
)
async def test_a_malformed_verification_request_is_a_422(
    client: Client, body: dict[str, Any], field: str
) -> None:
    assert field in assert_invalid(await client.post(VERIFY, json=body))


# --- POST /auth/verify-email/resend ---------------------------------------------------


async def test_resend_emails_one_link_to_an_unverified_account_and_answers_202_empty(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com", email_verified=False)

    response = await client.post(RESEND, json={"email": "ann@example.com"})

    assert_accepted(response)
    assert len(outbox.sent_to("ann@example.com")) == 1
    token = last_token(outbox, "ann@example.com", "verify-email")
    assert_token_not_in(response, token)
    assert_empty(await client.post(VERIFY, json={"token": token}), 204)


async def test_resend_answers_the_same_202_for_verified_and_unknown_addresses_without_email(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")  # verified
    await make_user(email="bob@example.com", email_verified=False)

    verified = await client.post(RESEND, json={"email": "ann@example.com"})
    unknown = await client.post(RESEND, json={"email": UNKNOWN})
    unverified = await client.post(RESEND, json={"email": "bob@example.com"})

    for response in (verified, unknown, unverified):
        assert_accepted(response)
    assert comparable_headers(verified) == comparable_headers(unknown)
    assert comparable_headers(unknown) == comparable_headers(unverified)
    assert outbox.sent_to("ann@example.com") == []
    assert outbox.sent_to(UNKNOWN) == []
    assert len(outbox.sent_to("bob@example.com")) == 1
    assert len(outbox.outbox) == 1


@pytest.mark.parametrize(
    "body",
    # An address that fails normalization is answered 202 like any unknown one
    # (test_http_identity.py); only a malformed request body is a 422.
    [{}, {"email": "ann@example.com", "role": "admin"}],
    ids=["missing-email", "unknown-field"],
)
async def test_a_malformed_resend_request_is_a_422(client: Client, body: dict[str, Any]) -> None:
    fields = assert_invalid(await client.post(RESEND, json=body))
    assert fields & {"email", "role"}


async def test_resend_is_throttled_per_address_with_retry_after(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com", email_verified=False)
    for _ in range(FREE_LINK_REQUESTS_PER_ADDRESS):
        assert_accepted(await client.post(RESEND, json={"email": "ann@example.com"}))

    response = await client.post(RESEND, json={"email": "ann@example.com"})

    assert_too_many(response)
    assert len(outbox.sent_to("ann@example.com")) == FREE_LINK_REQUESTS_PER_ADDRESS
    # Another address is counted on its own.
    assert_accepted(await client.post(RESEND, json={"email": UNKNOWN}))


async def test_resend_throttles_an_unknown_address_like_a_known_one(client: Client) -> None:
    for _ in range(FREE_LINK_REQUESTS_PER_ADDRESS):
        assert_accepted(await client.post(RESEND, json={"email": UNKNOWN}))

    assert_too_many(await client.post(RESEND, json={"email": UNKNOWN}))


# --- POST /auth/password-reset ---------------------------------------------------------


async def test_reset_answers_known_and_unknown_addresses_alike_and_emails_only_the_known(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")

    known = await client.post(RESET, json={"email": "ann@example.com"})
    unknown = await client.post(RESET, json={"email": UNKNOWN})

    assert_accepted(known)
    assert_accepted(unknown)
    assert comparable_headers(known) == comparable_headers(unknown)
    assert outbox.sent_to(UNKNOWN) == []
    assert len(outbox.sent_to("ann@example.com")) == 1
    token = last_token(outbox, "ann@example.com", "reset-password")
    assert len(token) >= 43
    assert_token_not_in(known, token)


async def test_the_reset_link_carries_its_token_in_the_fragment(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")

    await client.post(RESET, json={"email": "ann@example.com"})

    [link] = outbox.links("ann@example.com")
    assert re.fullmatch(rf"{re.escape(BASE_URL)}/reset-password#token=[A-Za-z0-9_%-]+", link)


async def test_reset_is_throttled_per_address_with_retry_after(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    for _ in range(FREE_LINK_REQUESTS_PER_ADDRESS):
        assert_accepted(await client.post(RESET, json={"email": "ann@example.com"}))

    assert_too_many(await client.post(RESET, json={"email": "ann@example.com"}))
    assert_too_many(await client.post(RESET, json={"email": " ANN@example.com "}))
    assert len(outbox.sent_to("ann@example.com")) == FREE_LINK_REQUESTS_PER_ADDRESS


async def test_reset_throttles_an_unknown_address_like_a_known_one(client: Client) -> None:
    for _ in range(FREE_LINK_REQUESTS_PER_ADDRESS):
        assert_accepted(await client.post(RESET, json={"email": UNKNOWN}))

    assert_too_many(await client.post(RESET, json={"email": UNKNOWN}))


@pytest.mark.parametrize(
    "body",
    # An unusable address is a 202 like any unknown one (test_http_identity.py).
    [{}, {"email": "ann@example.com", "extra": 1}, {"email": 7}],
    ids=["missing-email", "unknown-field", "not-a-string"],
)
async def test_a_malformed_reset_request_is_a_422(
    client: Client, outbox: InMemoryEmailSender, body: dict[str, Any]
) -> None:
    fields = assert_invalid(await client.post(RESET, json=body))
    assert fields & {"email", "extra"}
    assert outbox.outbox == []


@pytest.mark.parametrize("path", [RESEND, RESET], ids=["resend", "password-reset"])
@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
async def test_the_202_of_an_email_link_request_has_no_body(
    client: Client, make_user: MakeUser, path: str, known: bool
) -> None:
    await make_user(email="ann@example.com", email_verified=False)
    address = "ann@example.com" if known else UNKNOWN

    response = await client.post(path, json={"email": address})

    assert_empty(response, 202)


@pytest.fixture
def paced_services(argon2_hasher: Argon2PasswordHasher, outbox: InMemoryEmailSender) -> Services:
    settings = load_settings(
        {"APP_ENV": "test", "JWT_SECRET": "t" * 48, "EMAIL_LINK_MIN_RESPONSE_MS": "250"}
    )
    return build_services(settings, hasher=argon2_hasher, email=outbox)


async def test_reset_takes_the_same_time_for_known_and_unknown_addresses(
    paced_services: Services, outbox: InMemoryEmailSender
) -> None:
    rounds = 5
    # One address per request: each address gets 3 free requests an hour.
    for i in range(rounds):
        await paced_services.user_factory.create(
            NewUser(f"known{i}@example.com", STRONG_PASSWORD, "Known")
        )
    known: list[float] = []
    unknown: list[float] = []
    async with AsyncTestClient(create_app(paced_services)) as client:
        for i in range(rounds):
            for address, timings in (
                (f"known{i}@example.com", known),
                (f"unknown{i}@example.com", unknown),
            ):
                started = time.perf_counter()
                response = await client.post(RESET, json={"email": address})
                timings.append(time.perf_counter() - started)
                assert_accepted(response)

    assert min(known + unknown) >= 0.25, (known, unknown)
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.1, (known, unknown)
    assert len(outbox.outbox) == rounds  # only the known addresses got an email


# --- POST /auth/password-reset/confirm -------------------------------------------------


async def test_confirming_a_reset_ends_every_session_and_the_new_password_signs_in(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com", email_verified=False)
    before = await sign_in(client, "ann@example.com")
    assert before.status_code == 200, before.text
    old = before.json()
    token = await reset_token(client, outbox, "ann@example.com")

    response = await client.post(CONFIRM, json={"token": token, "new_password": OTHER_PASSWORD})

    assert_empty(response, 204)
    assert_token_not_in(response, token)
    assert_problem(await me(client, old["access_token"]), 401)
    refreshed = await client.post(f"{AUTH}/refresh", json={"refresh_token": old["refresh_token"]})
    assert_problem(refreshed, 401)
    assert_problem(await sign_in(client, "ann@example.com"), 401, "invalid-credentials")
    after = await sign_in(client, "ann@example.com", OTHER_PASSWORD)
    assert after.status_code == 200, after.text
    profile = await me(client, after.json()["access_token"])
    assert profile.status_code == 200, profile.text
    # The link proved the address.
    assert profile.json()["email_verified"] is True


async def test_a_reset_token_works_once(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    token = await reset_token(client, outbox, "ann@example.com")
    body = {"token": token, "new_password": OTHER_PASSWORD}
    assert_empty(await client.post(CONFIRM, json=body), 204)

    again = {"token": token, "new_password": "yet another splendid passphrase"}
    response = await client.post(CONFIRM, json=again)

    assert_problem(response, 400, "invalid-token")
    assert_token_not_in(response, token)
    assert (await sign_in(client, "ann@example.com", OTHER_PASSWORD)).status_code == 200


async def test_an_unknown_reset_token_is_a_400_invalid_token(client: Client) -> None:
    body = {"token": "y" * 43, "new_password": OTHER_PASSWORD}

    assert_problem(await client.post(CONFIRM, json=body), 400, "invalid-token")


async def test_an_expired_reset_token_is_a_400_invalid_token(
    clocked_client: Client, live_clock: FixedClock, outbox: InMemoryEmailSender
) -> None:
    await sign_up(clocked_client, "ann@example.com")
    token = await reset_token(clocked_client, outbox, "ann@example.com")
    live_clock.advance(hours=1, seconds=1)

    response = await clocked_client.post(
        CONFIRM, json={"token": token, "new_password": OTHER_PASSWORD}
    )

    assert_problem(response, 400, "invalid-token")


async def test_a_verification_token_does_not_reset_a_password(
    client: Client, outbox: InMemoryEmailSender
) -> None:
    await sign_up(client, "ann@example.com")
    token = last_token(outbox, "ann@example.com", "verify-email")

    response = await client.post(CONFIRM, json={"token": token, "new_password": OTHER_PASSWORD})

    assert_problem(response, 400, "invalid-token")
    assert (await sign_in(client, "ann@example.com")).status_code == 200


async def test_an_older_reset_link_dies_with_the_password_change_of_a_newer_one(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    first = await reset_token(client, outbox, "ann@example.com")
    second = await reset_token(client, outbox, "ann@example.com")
    assert first != second
    body = {"token": second, "new_password": OTHER_PASSWORD}
    assert_empty(await client.post(CONFIRM, json=body), 204)

    stale = {"token": first, "new_password": "yet another splendid passphrase"}

    assert_problem(await client.post(CONFIRM, json=stale), 400, "invalid-token")


@pytest.mark.parametrize(
    "weak",
    ["short", "password1234", "ann@example.com"],
    ids=["below-schema-minimum", "below-policy-minimum", "the-email-itself"],
)
async def test_a_weak_new_password_is_a_422_on_new_password_and_the_token_still_works(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser, weak: str
) -> None:
    await make_user(email="ann@example.com")
    token = await reset_token(client, outbox, "ann@example.com")

    response = await client.post(CONFIRM, json={"token": token, "new_password": weak})

    assert "new_password" in assert_invalid(response)
    assert_token_not_in(response, token)
    body = {"token": token, "new_password": OTHER_PASSWORD}
    assert_empty(await client.post(CONFIRM, json=body), 204)
    assert (await sign_in(client, "ann@example.com", OTHER_PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": OTHER_PASSWORD}, "token"),
        ({"token": "z" * 43}, "new_password"),
        ({"token": "", "new_password": OTHER_PASSWORD}, "token"),
        ({"token": "z" * 43, "new_password": OTHER_PASSWORD, "email": "a@b.c"}, "email"),
    ],
    ids=["missing-token", "missing-password", "empty-token", "unknown-field"],
)
async def test_a_malformed_confirmation_is_a_422(
    client: Client, body: dict[str, Any], field: str
) -> None:
    assert field in assert_invalid(await client.post(CONFIRM, json=body))


async def test_a_reset_request_and_its_confirmation_are_audited(
    client: Client, outbox: InMemoryEmailSender, make_user: MakeUser
) -> None:
    await make_user(email="ann@example.com")
    token = await reset_token(client, outbox, "ann@example.com")
    body = {"token": token, "new_password": OTHER_PASSWORD}
    assert_empty(await client.post(CONFIRM, json=body), 204)
    tokens = (await sign_in(client, "ann@example.com", OTHER_PASSWORD)).json()

    response = await client.get(
        f"{ME}/audit", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert response.status_code == 200, response.text
    types = [event["type"] for event in response.json()["items"]]
    assert types == ["sign_in.succeeded", "password.reset", "password.reset_requested"]
    assert token not in response.text
    assert OTHER_PASSWORD not in response.text
