"""The password policy over HTTP, on every route that sets a password (sign-up, password
change, admin create, reset confirm): the passwords an attacker got accepted are refused
with a 422 whose `errors` item names the field, says why and carries the rule's code;
the length limits are counted after NFC, not by the schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from litestar.testing import TestClient

from adapters.email.memory import InMemoryEmailSender
from application.users.create_user import NewUser
from domain.users import Role
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.fakes import PlainPasswordHasher
from tests.integration.problems import assert_invalid

pytestmark = pytest.mark.integration

AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
PASSWORD = "velvet harbor quantum meadow"
EXAMPLES = [
    (" " * 20, "invisible"),
    ("\u200b" * 20, "invisible"),
    ("\x00" * 20, "control_characters"),
    ("a" * 20, "repetitive"),
    ("password12345678", "common"),
]
IDS = ["20 spaces", "20 zero-width spaces", "20 NULs", "20 a", "password12345678"]


@dataclass
class Api:
    client: TestClient[Any]
    outbox: InMemoryEmailSender
    admin: dict[str, str]
    ann: dict[str, str]

    def reset_token(self) -> str:
        self.client.post(f"{AUTH}/password-reset", json={"email": "ann@example.com"})
        link = [u for u in self.outbox.links("ann@example.com") if "/reset-password#" in u][-1]
        return unquote(link.split("#token=", 1)[1])


@pytest.fixture
def api() -> Iterator[Api]:
    env = {"APP_ENV": "test", "JWT_SECRET": "t" * 48, "EMAIL_LINK_MIN_RESPONSE_MS": "0"}
    outbox = InMemoryEmailSender()
    services = build_services(load_settings(env), hasher=PlainPasswordHasher(), email=outbox)
    for email, role in (("root@example.com", Role.ADMIN), ("ann@example.com", Role.USER)):
        new = NewUser(email, PASSWORD, "Someone", role, email_verified=True)
        asyncio.run(services.user_factory.create(new))
    with TestClient(create_app(services)) as client:

        def bearer(email: str) -> dict[str, str]:
            body = {"email": email, "password": PASSWORD}
            token = client.post(f"{AUTH}/sign-in", json=body).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        yield Api(client, outbox, bearer("root@example.com"), bearer("ann@example.com"))


Route = Callable[[Api, str], Any]
ROUTES: dict[str, tuple[Route, str]] = {
    "sign-up": (
        lambda api, pw: api.client.post(
            f"{AUTH}/sign-up", json={"email": "new@example.com", "password": pw, "name": "New"}
        ),
        "password",
    ),
    "password change": (
        lambda api, pw: api.client.post(
            f"{USERS}/me/password",
            json={"current_password": PASSWORD, "new_password": pw},
            headers=api.ann,
        ),
        "new_password",
    ),
    "admin create": (
        lambda api, pw: api.client.post(
            USERS,
            json={"email": "new@example.com", "password": pw, "name": "New"},
            headers=api.admin,
        ),
        "password",
    ),
    "reset confirm": (
        lambda api, pw: api.client.post(
            f"{AUTH}/password-reset/confirm", json={"token": api.reset_token(), "new_password": pw}
        ),
        "new_password",
    ),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize(("password", "code"), EXAMPLES, ids=IDS)
def test_the_accepted_weak_passwords_are_refused_on_every_route(
    api: Api, route: str, password: str, code: str
) -> None:
    send, field = ROUTES[route]
    response = send(api, password)
    assert assert_invalid(response) == {field}
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert error["message"]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_good_password_still_passes_on_every_route(api: Api, route: str) -> None:
    send, _ = ROUTES[route]
    assert send(api, "tremendous purple elephant dance").status_code in {200, 201, 204}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("quiet" + "e\u0301" * 5, "too_short"),  # 15 code points typed, 10 after NFC
        ("q" + "e\u0301" * 120 + "zx", "repetitive"),  # 243 typed, 123 after NFC: long enough
        ("kq8#xvmz" * 16 + "x", "too_long"),  # 129 after NFC
        ("ann@example.com 2026", "context"),
        ("Serverless Auth 2026!", "context"),
        ("abcdefghijklmnopqr", "sequence"),
        ("P@ssw0rd!P@ssw0rd!", "common_variant"),
    ],
)
def test_each_rule_answers_with_its_code(api: Api, password: str, code: str) -> None:
    send, _ = ROUTES["password change"]
    response = send(api, password)
    assert_invalid(response)
    assert response.json()["errors"][0]["code"] == code


def test_the_maximum_is_counted_after_nfc_not_by_the_schema(api: Api) -> None:
    decomposed = "".join(ch + "\u0301" for ch in "aeiou") * 25 + "kq8"  # 253 typed, 128 NFC
    send, _ = ROUTES["sign-up"]
    assert send(api, decomposed).status_code == 201


def test_the_openapi_document_describes_the_rules_and_the_code(api: Api) -> None:
    schemas = api.client.get("/schema/openapi.json").json()["components"]["schemas"]
    code = schemas["FieldErrorOut"]["properties"]["code"]
    assert "too_short" in str(code)
    assert "code" not in schemas["FieldErrorOut"].get("required", [])
    password = schemas["SignUpIn"]["properties"]["password"]
    assert "after NFC normalization" in password["description"]
    assert password["maxLength"] == 1024
