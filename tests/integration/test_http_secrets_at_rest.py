"""Two-factor over HTTP on the MongoDB adapters (nx-27017, or MONGODB_TEST_URI) with
secrets at rest sealed under the local key file: sign-in with an authenticator code
works, a plaintext secret of an older version migrates on the next sign-in, and a
secret that cannot be opened answers 503 (never a 500 or a trace)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.mongo.connection import USERS, MongoConnection
from adapters.mongo.embedded import EmbeddedMongo
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import STRONG_PASSWORD, mongo_test_uri, unique_database
from tests.integration.problems import assert_problem

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
ACCOUNT = {"email": "ann@example.com", "password": STRONG_PASSWORD}


@dataclass
class Api:
    http: httpx.AsyncClient
    mongo: MongoConnection
    data_dir: Path
    outbox: InMemoryEmailSender

    async def users(self) -> Any:
        return (await self.mongo.database())[USERS]


@pytest.fixture
async def api(nx_server: EmbeddedMongo, tmp_path: Path) -> AsyncIterator[Api]:
    settings = load_settings(
        {
            "APP_ENV": "test",
            "JWT_SECRET": "t" * 48,
            "MONGODB_URI": mongo_test_uri(nx_server),
            "MONGODB_DATABASE": unique_database(),
            "APP_DATA_DIR": str(tmp_path),
            "EMAIL_LINK_MIN_RESPONSE_MS": "0",
        }
    )
    outbox = InMemoryEmailSender()
    services = build_services(settings, email=outbox)
    mongo = services.adapters.mongo
    assert isinstance(mongo, MongoConnection)
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Api(http, mongo, tmp_path, outbox)
    await mongo.client().drop_database(settings.mongodb_database)
    await services.close()


async def enrolled(api: Api) -> tuple[pyotp.TOTP, dict[str, str], str]:
    """Ann signed up with two-factor on: her authenticator, a bearer header, her id."""
    signed_up = await api.http.post(f"{AUTH}/sign-up", json={**ACCOUNT, "name": "Ann"})
    assert signed_up.status_code == 201, signed_up.text
    headers = {"Authorization": f"Bearer {signed_up.json()['tokens']['access_token']}"}
    link = next(url for url in api.outbox.links(ACCOUNT["email"]) if "/verify-email#" in url)
    token = link.split("#token=", 1)[1]
    verified = await api.http.post(f"{AUTH}/verify-email", json={"token": token})
    assert verified.status_code == 204, verified.text
    enrolled = await api.http.post(
        f"{ME}/two-factor", json={"password": STRONG_PASSWORD}, headers=headers
    )
    assert enrolled.status_code == 201, enrolled.text
    totp = pyotp.TOTP(enrolled.json()["secret"])
    confirmed = await api.http.post(
        f"{ME}/two-factor/confirm", json={"code": totp.now()}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return totp, headers, signed_up.json()["user"]["id"]


async def sign_in_with_code(api: Api, code: str) -> httpx.Response:
    challenged = await api.http.post(f"{AUTH}/sign-in", json=ACCOUNT)
    assert challenged.status_code == 202, challenged.text
    return await api.http.post(
        f"{AUTH}/sign-in/totp", json={"challenge": challenged.json()["challenge"], "code": code}
    )


def next_code(totp: pyotp.TOTP) -> str:
    # The code of the next 30-second step: the current one was spent confirming.
    return totp.at(time.time() + totp.interval)


async def test_two_factor_sign_in_works_with_the_secret_sealed_in_the_store(api: Api) -> None:
    totp, _, user_id = await enrolled(api)

    signed_in = await sign_in_with_code(api, next_code(totp))

    assert signed_in.status_code == 200, signed_in.text
    stored = await (await api.users()).find_one({"_id": user_id})
    assert totp.secret not in str(stored)
    assert stored["totp"]["sealed_secret"].startswith("v1.local-")
    assert (api.data_dir / "secrets.key").stat().st_mode & 0o777 == 0o600


async def test_a_plaintext_secret_of_an_older_version_still_signs_in_and_is_sealed(
    api: Api,
) -> None:
    totp, _, user_id = await enrolled(api)
    # As a version before sealing left it.
    await (await api.users()).update_one(
        {"_id": user_id},
        {"$set": {"totp.secret": totp.secret}, "$unset": {"totp.sealed_secret": ""}},
    )

    signed_in = await sign_in_with_code(api, next_code(totp))

    assert signed_in.status_code == 200, signed_in.text
    stored = await (await api.users()).find_one({"_id": user_id})
    assert "secret" not in stored["totp"]
    assert totp.secret not in str(stored)


async def test_a_secret_that_cannot_be_opened_answers_503_without_details(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    totp, headers, user_id = await enrolled(api)
    users = await api.users()
    stored = await users.find_one({"_id": user_id})
    sealed = stored["totp"]["sealed_secret"]
    await users.update_one({"_id": user_id}, {"$set": {"totp.sealed_secret": sealed[:-4] + "AAAA"}})

    with caplog.at_level(logging.ERROR):
        sign_in = await api.http.post(f"{AUTH}/sign-in", json=ACCOUNT)
        me = await api.http.get(ME, headers=headers)

    for response in (sign_in, me):
        body = assert_problem(response, 503, "store-unavailable")
        assert response.headers["retry-after"]
        assert totp.secret not in response.text
        assert sealed not in response.text
        assert "v1." not in str(body)
    assert "sealed_secret_unreadable" in caplog.messages
    assert totp.secret not in caplog.text
