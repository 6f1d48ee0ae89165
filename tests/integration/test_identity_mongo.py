"""Accounts stored before the canonical email rule, over HTTP on MongoDB (nx-27017):
they sign in with the address they always used, before and after `app db migrate`, and
the CLI stores canonical addresses too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from adapters.email.memory import InMemoryEmailSender
from adapters.mongo.connection import USERS, MongoConnection
from adapters.mongo.embedded import EmbeddedMongo
from entrypoints import cli
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.conftest import mongo_test_uri, unique_database
from tests.fakes import PlainPasswordHasher
from tests.text import fullwidth

pytestmark = [pytest.mark.integration]

AUTH = "/api/v1/auth"
PASSWORD = "velvet harbor quantum meadow"
T0 = datetime(2025, 6, 1, tzinfo=UTC)
OLDER_ADDRESSES = {"u-idn": "ann@exämple.com", "u-intl": "josé@example.com"}


@dataclass
class Store:
    env: dict[str, str]
    http: httpx.AsyncClient
    connection: MongoConnection


@pytest.fixture
async def store(nx_server: EmbeddedMongo) -> AsyncIterator[Store]:
    env = {
        "APP_ENV": "test",
        "JWT_SECRET": "t" * 48,
        "MONGODB_URI": mongo_test_uri(nx_server),
        "MONGODB_DATABASE": unique_database(),
        "EMAIL_LINK_MIN_RESPONSE_MS": "0",
        # Set here so that monkeypatch restores it: the CLI writes it to os.environ.
        "APP_STORAGE": "mongo",
    }
    hasher = PlainPasswordHasher()
    services = build_services(load_settings(env), hasher=hasher, email=InMemoryEmailSender())
    mongo = services.adapters.mongo
    assert isinstance(mongo, MongoConnection)
    password_hash = await hasher.hash(PASSWORD)
    await (await mongo.database())[USERS].insert_many(
        [
            {
                "_id": user_id,
                "email": email,
                "name": "Ann",
                "role": "user",
                "password_hash": password_hash,
                "created_at": T0,
                "updated_at": T0,
                "version": 1,
                "token_version": 1,
            }
            for user_id, email in OLDER_ADDRESSES.items()
        ]
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Store(env, http, mongo)
    await mongo.client().drop_database(env["MONGODB_DATABASE"])
    await services.close()


async def signs_in_as(http: httpx.AsyncClient, email: str) -> str:
    response = await http.post(f"{AUTH}/sign-in", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, (email, response.text)
    me = await http.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    return str(me.json()["id"])


TYPED = [
    ("ann@exämple.com", "u-idn"),
    ("Ann@xn--exmple-cua.com", "u-idn"),
    ("ann@" + fullwidth("EX") + "ämple.com", "u-idn"),
    ("josé@example.com", "u-intl"),
    ("Jose\u0301@Example.com", "u-intl"),
]


@pytest.mark.anyio
async def test_older_accounts_sign_in_as_before_and_after_the_migration(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for typed, user_id in TYPED:
        assert await signs_in_as(store.http, typed) == user_id
    twin = {"email": "ann@xn--exmple-cua.com", "password": PASSWORD, "name": "Eve"}
    assert (await store.http.post(f"{AUTH}/sign-up", json=twin)).status_code == 409

    for name, value in store.env.items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(cli.main, ["db", "migrate", "--storage", "mongo"]) == 0
    output = capsys.readouterr().out
    assert "rewrote u-idn: ann@exämple.com -> ann@xn--exmple-cua.com" in output
    assert "kept u-intl: josé@example.com" in output

    for typed, user_id in TYPED:
        assert await signs_in_as(store.http, typed) == user_id
    stored = {d["_id"]: d["email"] async for d in (await store.connection.database())[USERS].find()}
    assert stored == {"u-idn": "ann@xn--exmple-cua.com", "u-intl": "josé@example.com"}


@pytest.mark.anyio
async def test_the_cli_creates_admins_under_the_canonical_address(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**store.env, "APP_ADMIN_PASSWORD": PASSWORD}.items():
        monkeypatch.setenv(name, value)
    email = " " + fullwidth("Root") + "@EXAMPLE.com "
    args = ["users", "create-admin", "--email", email, "--storage", "mongo"]
    assert await asyncio.to_thread(cli.main, args) == 0
    assert "created admin root@example.com" in capsys.readouterr().out
    assert await asyncio.to_thread(cli.main, [*args[:3], "ROOT@example.com", *args[4:]]) == 1
    refused = [*args[:3], "r" + "\u043e" + "ot@example.com", *args[4:]]  # a Cyrillic o
    assert await asyncio.to_thread(cli.main, refused) == 1
    assert "internationalized addresses are not supported" in capsys.readouterr().err
