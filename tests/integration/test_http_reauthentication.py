"""Over HTTP: re-authentication, its throttle, the abuse limits, and sessions ending at
once (API.md, users; SECURITY.md, "Credential changes and re-authentication")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pyotp
import pytest
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from domain.users import Role
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD, MakeUser
from tests.integration.problems import assert_problem

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

Client = AsyncTestClient[Any]
Headers = dict[str, str]
AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
ME = f"{USERS}/me"
ANN = "ann@example.com"
WRONG = "not the password of this account"
FREE_GUESSES = 5


async def signed_in(client: Client, email: str = ANN) -> dict[str, Any]:
    response = await client.post(
        f"{AUTH}/sign-in", json={"email": email, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(tokens: dict[str, Any]) -> Headers:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def delete_user(
    client: Client, user_id: str, headers: Headers, body: Any = None
) -> httpx.Response:
    return await client.request("DELETE", f"{USERS}/{user_id}", headers=headers, json=body)


async def change_password(client: Client, headers: Headers, **body: str) -> httpx.Response:
    payload = {"current_password": STRONG_PASSWORD, "new_password": OTHER_PASSWORD, **body}
    return await client.post(f"{ME}/password", json=payload, headers=headers)


def assert_throttled(response: httpx.Response) -> None:
    assert_problem(response, 429, "too-many-attempts")
    assert int(response.headers["retry-after"]) >= 1


def assert_field(response: httpx.Response, field: str) -> None:
    assert_problem(response, 422, "invalid-input")
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def two_factor_on(client: Client, headers: Headers) -> tuple[str, list[str]]:
    enrolled = await client.post(
        f"{ME}/two-factor", json={"password": STRONG_PASSWORD}, headers=headers
    )
    assert enrolled.status_code == 201, enrolled.text
    secret = enrolled.json()["secret"]
    confirmed = await client.post(
        f"{ME}/two-factor/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["backup_codes"]


# Deleting your own account


async def test_deleting_yourself_needs_your_password(client: Client, make_user: MakeUser) -> None:
    user = await make_user(email=ANN)
    headers = bearer(await signed_in(client))

    assert_field(await delete_user(client, user.id, headers), "current_password")
    assert_field(await delete_user(client, user.id, headers, {}), "current_password")
    wrong = await delete_user(client, user.id, headers, {"current_password": WRONG})
    assert_problem(wrong, 401, "invalid-credentials")
    assert (await client.get(ME, headers=headers)).status_code == 200

    deleted = await delete_user(client, user.id, headers, {"current_password": STRONG_PASSWORD})

    assert deleted.status_code == 204, deleted.text
    assert_problem(await client.get(ME, headers=headers), 401)


async def test_deleting_yourself_with_two_factor_on_needs_a_code_too(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(email=ANN)
    headers = bearer(await signed_in(client))
    _, backup_codes = await two_factor_on(client, headers)
    password = {"current_password": STRONG_PASSWORD}

    assert_field(await delete_user(client, user.id, headers, password), "code")
    wrong = await delete_user(client, user.id, headers, {**password, "code": "000000"})
    assert_problem(wrong, 401, "invalid-credentials")

    deleted = await delete_user(client, user.id, headers, {**password, "code": backup_codes[0]})
    assert deleted.status_code == 204, deleted.text


async def test_an_admin_deletes_someone_else_without_a_body(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email="root@example.com", role=Role.ADMIN)
    user = await make_user(email=ANN)
    admin = bearer(await signed_in(client, "root@example.com"))

    assert (await delete_user(client, user.id, admin)).status_code == 204


async def test_unknown_fields_in_a_delete_body_are_refused(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(email=ANN)
    headers = bearer(await signed_in(client))
    body = {"current_password": STRONG_PASSWORD, "role": "admin"}

    assert_problem(await delete_user(client, user.id, headers, body), 422, "invalid-input")
    assert (await client.get(ME, headers=headers)).status_code == 200


# One throttle for every check of a secret


async def test_a_stolen_access_token_is_no_password_oracle(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(email=ANN)
    headers = bearer(await signed_in(client))
    etag = (await client.get(ME, headers=headers)).headers["etag"]
    guesses = [
        change_password(client, headers, current_password=WRONG),
        delete_user(client, user.id, headers, {"current_password": WRONG}),
        client.post(f"{ME}/two-factor", json={"password": WRONG}, headers=headers),
        change_password(client, headers, current_password=WRONG),
        client.patch(
            f"{USERS}/{user.id}",
            json={"email": "mine@example.com", "current_password": WRONG},
            headers={**headers, "If-Match": etag},
        ),
    ]
    for guess in guesses:
        assert_problem(await guess, 401, "invalid-credentials")

    assert_throttled(await change_password(client, headers))  # even the right password waits

    trail = await client.get(f"{ME}/audit", params={"limit": 100}, headers=headers)
    failures = [e for e in trail.json()["items"] if e["type"] == "reauthentication.failed"]
    assert sorted(e["details"]["operation"] for e in failures) == sorted(
        [
            "change_password",
            "delete_account",
            "enroll_two_factor",
            "change_password",
            "change_email",
        ]
    )


async def test_a_password_change_with_two_factor_on_needs_a_code(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    headers = bearer(await signed_in(client))
    secret, _ = await two_factor_on(client, headers)

    assert_field(await change_password(client, headers), "code")

    changed = await change_password(client, headers, code=pyotp.TOTP(secret).at(0, 1))
    assert_problem(changed, 401, "invalid-credentials")


# Sessions end at once


async def test_signing_out_ends_the_access_token_at_once(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    tokens = await signed_in(client)
    assert (await client.get(ME, headers=bearer(tokens))).status_code == 200

    signed_out = await client.post(
        f"{AUTH}/sign-out", json={"refresh_token": tokens["refresh_token"]}
    )

    assert signed_out.status_code == 204
    assert_problem(await client.get(ME, headers=bearer(tokens)), 401, "unauthenticated")


async def test_revoking_a_device_ends_its_access_token_at_once(
    client: Client, make_user: MakeUser
) -> None:
    await make_user(email=ANN)
    laptop, phone = await signed_in(client), await signed_in(client)
    sessions = (await client.get(f"{ME}/sessions", headers=bearer(phone))).json()["items"]
    (laptop_session,) = [s["id"] for s in sessions if not s["current"]]

    revoked = await client.delete(f"{ME}/sessions/{laptop_session}", headers=bearer(phone))

    assert revoked.status_code == 204
    assert_problem(await client.get(ME, headers=bearer(laptop)), 401)
    assert (await client.get(ME, headers=bearer(phone))).status_code == 200


# Abuse limits


@pytest.fixture
async def limited(outbox: InMemoryEmailSender) -> AsyncIterator[tuple[Client, Services]]:
    settings = load_settings(
        {
            "APP_ENV": "test",
            "JWT_SECRET": "t" * 48,
            "EMAIL_LINK_MIN_RESPONSE_MS": "0",
            "SIGN_UPS_PER_CLIENT_PER_HOUR": "2",
            "EMAILS_PER_ADDRESS_PER_HOUR": "2",
        }
    )
    services = build_services(settings, email=outbox)
    async with AsyncTestClient(create_app(services)) as client:
        yield client, services


async def test_sign_ups_from_one_client_are_limited(limited: tuple[Client, Services]) -> None:
    client, _ = limited
    for n in range(2):
        body = {"email": f"u{n}@example.com", "password": STRONG_PASSWORD, "name": "U"}
        assert (await client.post(f"{AUTH}/sign-up", json=body)).status_code == 201

    body = {"email": "u9@example.com", "password": STRONG_PASSWORD, "name": "U"}
    assert_throttled(await client.post(f"{AUTH}/sign-up", json=body))


async def test_an_email_change_that_would_mail_an_address_too_often_is_refused(
    limited: tuple[Client, Services], outbox: InMemoryEmailSender
) -> None:
    client, _ = limited
    body = {"email": ANN, "password": STRONG_PASSWORD, "name": "Ann"}
    signed_up = (await client.post(f"{AUTH}/sign-up", json=body)).json()
    headers = bearer(signed_up["tokens"])
    user_id = signed_up["user"]["id"]

    async def change_to(address: str) -> httpx.Response:
        etag = (await client.get(ME, headers=headers)).headers["etag"]
        return await client.patch(
            f"{USERS}/{user_id}",
            json={"email": address, "current_password": STRONG_PASSWORD},
            headers={**headers, "If-Match": etag},
        )

    assert (await change_to("other@example.com")).status_code == 200  # ann: 2nd mail
    assert_throttled(await change_to(ANN))  # would be ann's 3rd: refused whole
    assert (await client.get(ME, headers=headers)).json()["email"] == "other@example.com"
    assert len(outbox.sent_to(ANN)) == 2


async def test_the_new_statuses_are_documented(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {
        op["operationId"]: op for path in schema["paths"].values() for op in path.values()
    }
    for operation in ("signUp", "changePassword", "updateUser", "deleteUser"):
        assert "429" in operations[operation]["responses"], operation
    delete = operations["deleteUser"]
    assert delete["requestBody"]["required"] is False
    (media,) = delete["requestBody"]["content"].values()
    (reference,) = [
        option["$ref"].rsplit("/", 1)[1] for option in media["schema"]["oneOf"] if "$ref" in option
    ]
    properties = schema["components"]["schemas"][reference]["properties"]
    assert set(properties) == {"current_password", "code"}
