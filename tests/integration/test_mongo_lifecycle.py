"""The account lifecycle over HTTP on the MongoDB adapters (nx-27017, or
MONGODB_TEST_URI), once per driver: every flow's reads and writes go through the real
store, so a mapping or index mistake in a new collection fails here, not only in the
repository contract suites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.mongo.connection import MongoConnection
from adapters.mongo.embedded import EmbeddedMongo
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD, mongo_test_uri, unique_database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
EMAIL = "ann@example.com"


@pytest.fixture(params=["pymongo", "motor"])
async def api(
    request: pytest.FixtureRequest, nx_server: EmbeddedMongo, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, InMemoryEmailSender]]:
    settings = load_settings(
        {
            "APP_ENV": "test",
            "JWT_SECRET": "t" * 48,
            "MONGODB_URI": mongo_test_uri(nx_server),
            "MONGODB_DATABASE": unique_database(),
            # Where the local key of secrets at rest is made (not the working directory).
            "APP_DATA_DIR": str(tmp_path),
            "MONGODB_DRIVER": str(request.param),
            "EMAIL_LINK_MIN_RESPONSE_MS": "0",
        }
    )
    outbox = InMemoryEmailSender()
    services: Services = build_services(settings, email=outbox)
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, outbox
    mongo = services.adapters.mongo
    assert isinstance(mongo, MongoConnection)
    await mongo.client().drop_database(settings.mongodb_database)
    await services.close()


def token_of(outbox: InMemoryEmailSender, page: str) -> str:
    link = [url for url in outbox.links(EMAIL) if f"/{page}#token=" in url][-1]
    return link.split("#token=", 1)[1]


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_every_flow_works_on_the_real_store(
    api: tuple[httpx.AsyncClient, InMemoryEmailSender],
) -> None:
    http, outbox = api
    account = {"email": EMAIL, "password": STRONG_PASSWORD}
    signed_up = await http.post(f"{AUTH}/sign-up", json={**account, "name": "Ann"})
    assert signed_up.status_code == 201, signed_up.text

    # Verification: the token document is found, used once, and the flag persists.
    token = token_of(outbox, "verify-email")
    assert (await http.post(f"{AUTH}/verify-email", json={"token": token})).status_code == 204
    assert (await http.post(f"{AUTH}/verify-email", json={"token": token})).status_code == 400
    me = await http.get(ME, headers=bearer(signed_up.json()["tokens"]))
    assert me.json()["email_verified"] is True

    # Two-factor: the pending factor, its confirmation and the challenge all round-trip.
    headers = bearer(signed_up.json()["tokens"])
    enrolled = await http.post(
        f"{ME}/two-factor", json={"password": STRONG_PASSWORD}, headers=headers
    )
    assert enrolled.status_code == 201, enrolled.text
    totp = pyotp.TOTP(enrolled.json()["secret"])
    confirmed = await http.post(
        f"{ME}/two-factor/confirm", json={"code": totp.now()}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    backup_code = confirmed.json()["backup_codes"][0]
    challenged = await http.post(f"{AUTH}/sign-in", json=account)
    assert challenged.status_code == 202, challenged.text
    completed = await http.post(
        f"{AUTH}/sign-in/totp",
        json={"challenge": challenged.json()["challenge"], "code": backup_code},
    )
    assert completed.status_code == 200, completed.text
    again = await http.post(f"{AUTH}/sign-in", json=account)
    reused = await http.post(
        f"{AUTH}/sign-in/totp", json={"challenge": again.json()["challenge"], "code": backup_code}
    )
    assert reused.status_code == 401  # the spent backup code is gone from the store

    # Sessions: both sign-ins are listed, with the caller's marked current.
    current = bearer(completed.json())
    sessions = (await http.get(f"{ME}/sessions", headers=current)).json()["items"]
    assert len(sessions) == 2
    assert sum(s["current"] for s in sessions) == 1
    assert (await http.delete(f"{ME}/sessions", headers=current)).status_code == 204
    refused = await http.post(
        f"{AUTH}/refresh", json={"refresh_token": signed_up.json()["tokens"]["refresh_token"]}
    )
    assert refused.status_code == 401

    # Reset: the token is bound to the password, and success ends every session.
    assert (await http.post(f"{AUTH}/password-reset", json={"email": EMAIL})).status_code == 202
    reset = await http.post(
        f"{AUTH}/password-reset/confirm",
        json={"token": token_of(outbox, "reset-password"), "new_password": OTHER_PASSWORD},
    )
    assert reset.status_code == 204, reset.text
    assert (await http.get(ME, headers=current)).status_code == 401
    after = await http.post(f"{AUTH}/sign-in", json={"email": EMAIL, "password": OTHER_PASSWORD})
    assert after.status_code == 202  # two-factor survives a reset

    # The trail, newest first, paged through the store's (at, id) order.
    finished = await http.post(
        f"{AUTH}/sign-in/totp",
        json={"challenge": after.json()["challenge"], "code": confirmed.json()["backup_codes"][1]},
    )
    headers = bearer(finished.json())
    seen: list[str] = []
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await http.get(f"{ME}/audit", params=params, headers=headers)).json()
        seen += [event["type"] for event in page["items"]]
        ids += [event["id"] for event in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[0] == "sign_in.succeeded"
    assert seen[-1] == "sign_up"
    for expected in (
        "email.verified",
        "two_factor.enabled",
        "sign_in.challenged",
        "two_factor.backup_code_used",
        "two_factor.failed",
        "session.others_revoked",
        "password.reset_requested",
        "password.reset",
    ):
        assert expected in seen, (expected, seen)
    assert len(ids) == len(set(ids)), "a page repeated an event"
