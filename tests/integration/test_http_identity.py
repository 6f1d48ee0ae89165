"""One identity rule over HTTP: whatever address signed up signs in; look-alikes map to
the same account or are refused, never a second account; sign-in, reset and resend
reveal nothing new for addresses that fail normalization; admin create and email
change store the canonical form."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from adapters.email.memory import InMemoryEmailSender
from adapters.identity import canonical_email
from application.users.create_user import NewUser
from domain.users import Role
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from tests.fakes import PlainPasswordHasher
from tests.integration.problems import assert_invalid, assert_problem
from tests.text import cyrillic, fullwidth

pytestmark = pytest.mark.integration

AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
PASSWORD = "velvet harbor quantum meadow"
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclass
class Api:
    client: TestClient[Any]
    services: Services
    outbox: InMemoryEmailSender

    def stored_emails(self) -> list[str]:
        users = asyncio.run(self.services.adapters.users.list_page(10_000, None))
        return [user.email.value for user in users]


@pytest.fixture
def api() -> Iterator[Api]:
    """The real app, in-memory store, a fast hasher and no throttling to run into."""
    env = {
        "APP_ENV": "test",
        "JWT_SECRET": "t" * 48,
        "EMAIL_LINK_MIN_RESPONSE_MS": "0",
        "SIGN_IN_FREE_ATTEMPTS_PER_IP": "1000000",
        "SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT": "1000000",
        "SIGN_UPS_PER_CLIENT_PER_HOUR": "100000",
    }
    outbox = InMemoryEmailSender()
    services = build_services(load_settings(env), hasher=PlainPasswordHasher(), email=outbox)
    with TestClient(create_app(services)) as test_client:
        yield Api(test_client, services, outbox)


@pytest.fixture
def client(api: Api) -> TestClient[Any]:
    return api.client


def sign_up(client: TestClient[Any], email: str, name: str = "Ann") -> Any:
    return client.post(f"{AUTH}/sign-up", json={"email": email, "password": PASSWORD, "name": name})


def sign_in(client: TestClient[Any], email: str) -> Any:
    return client.post(f"{AUTH}/sign-in", json={"email": email, "password": PASSWORD})


def me(client: TestClient[Any], tokens: Any) -> Any:
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return client.get(f"{USERS}/me", headers=headers).json()


# --- whatever signed up signs in ----------------------------------------------------------

LOCALS = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=16
) | st.from_regex(r"[A-Za-z0-9._+-]{1,16}", fullmatch=True)
DOMAINS = st.sampled_from(
    [
        "example.com",
        "Example.COM",
        "exämple.com",
        "EXÄMPLE.com",
        "xn--exmple-cua.com",
        "bücher.de",
        fullwidth("example") + ".org",
        "exa\u0308mple.com",
        "faß.de",
    ]
)
ADDRESSES = st.builds(
    lambda pad, local, domain, pad2: f"{pad}{local}@{domain}{pad2}",
    st.sampled_from(["", " ", "\t"]),
    LOCALS,
    DOMAINS,
    st.sampled_from(["", " ", "\n"]),
)


def test_whatever_address_signed_up_also_signs_in(client: TestClient[Any]) -> None:
    @HYPOTHESIS
    @given(ADDRESSES)
    @example(" Ann@EXÄMPLE.com ")
    @example(fullwidth("ann") + "@" + fullwidth("example") + ".com")
    @example("jose\u0301@example.com")
    def check(raw: str) -> None:
        created = sign_up(client, raw)
        assert created.status_code in {201, 409, 422}, created.text
        signed_in = sign_in(client, raw)
        if created.status_code == 422:
            assert_invalid(created)
            assert_problem(signed_in, 401, "invalid-credentials")
            return
        assert signed_in.status_code == 200, signed_in.text
        user = me(client, signed_in.json())
        assert user["email"] == canonical_email(raw)
        if created.status_code == 201:
            assert user["id"] == created.json()["user"]["id"]

    check()


# --- look-alikes: the same account or refused ---------------------------------------------

BASE_LOCAL, BASE_DOMAIN = "ann.lovelace", "exämple.com"
SAME = {  # variants that name the same mailbox
    "upper": lambda local, domain: (local.upper(), domain.upper()),
    "fullwidth local": lambda local, domain: (fullwidth(local), domain),
    "fullwidth domain": lambda local, domain: (local, fullwidth(domain)),
    "a-label": lambda local, domain: (local, "xn--exmple-cua.com"),
    "decomposed domain": lambda local, domain: (local, domain.replace("ä", "a\u0308")),
}
LOOKALIKE = {  # variants that only look like it: refused
    "cyrillic": lambda local, domain: (cyrillic(local), domain),
    "one cyrillic letter": lambda local, domain: ("\u0430" + local[1:], domain),
    "combining mark": lambda local, domain: (local[:2] + "\u0301" + local[2:], domain),
    "accented": lambda local, domain: (local.replace("a", "\u00e0", 1), domain),
}


def test_look_alike_addresses_map_to_the_same_account_or_are_refused(api: Api) -> None:
    client = api.client
    original = sign_up(client, f"{BASE_LOCAL}@{BASE_DOMAIN}")
    assert original.status_code == 201, original.text
    account = original.json()["user"]
    assert account["email"] == "ann.lovelace@xn--exmple-cua.com"

    @HYPOTHESIS
    @given(
        st.lists(st.sampled_from(sorted(SAME)), unique=True),
        st.lists(st.sampled_from(sorted(LOOKALIKE)), unique=True),
        st.sampled_from(["", " ", "\u3000"]),
    )
    def check(same: list[str], lookalike: list[str], padding: str) -> None:
        local, domain = BASE_LOCAL, BASE_DOMAIN
        for name in lookalike + same:
            local, domain = {**SAME, **LOOKALIKE}[name](local, domain)
        variant = f"{padding}{local}@{domain}{padding}"
        again, signed_in = sign_up(client, variant, name="Eve"), sign_in(client, variant)
        if lookalike:
            assert_invalid(again)
            assert_problem(signed_in, 401, "invalid-credentials")
        else:
            assert_problem(again, 409, "email-taken")
            assert signed_in.status_code == 200, signed_in.text
            assert me(client, signed_in.json())["id"] == account["id"]

    check()
    assert api.stored_emails() == [account["email"]]


# --- addresses that fail normalization reveal nothing new ---------------------------------

UNUSABLE = [
    "josé@example.com",
    cyrillic("ace") + "@example.com",
    "ann@localhost",
    "not an address",
    "ann\u200b@example.com",
]


@pytest.mark.parametrize("address", UNUSABLE)
def test_sign_in_with_an_unusable_address_is_the_unknown_account_401(
    client: TestClient[Any], address: str
) -> None:
    unknown = sign_in(client, "nobody@example.com")
    unusable = sign_in(client, address)
    assert_problem(unusable, 401, "invalid-credentials")
    assert unusable.json()["detail"] == unknown.json()["detail"]


@pytest.mark.parametrize("address", UNUSABLE)
@pytest.mark.parametrize("route", ["password-reset", "verify-email/resend"])
def test_reset_and_resend_answer_202_for_an_unusable_address(
    client: TestClient[Any], address: str, route: str
) -> None:
    response = client.post(f"{AUTH}/{route}", json={"email": address})
    assert response.status_code == 202, response.text
    assert response.content == b""


def test_reset_and_resend_reach_the_account_whatever_variant_is_typed(api: Api) -> None:
    assert sign_up(api.client, "ann@exämple.com").status_code == 201
    api.outbox.outbox.clear()
    variant = " ANN@" + fullwidth("xn--exmple-cua.com")
    for route in ("password-reset", "verify-email/resend"):
        assert api.client.post(f"{AUTH}/{route}", json={"email": variant}).status_code == 202
    assert [m.to for m in api.outbox.outbox] == ["ann@xn--exmple-cua.com"] * 2


# --- every other way an address enters ----------------------------------------------------


def test_an_admin_creates_and_a_user_changes_to_canonical_addresses_only(api: Api) -> None:
    asyncio.run(
        api.services.user_factory.create(
            NewUser("root@example.com", PASSWORD, "Root", Role.ADMIN, email_verified=True)
        )
    )
    admin = {
        "Authorization": f"Bearer {sign_in(api.client, 'root@example.com').json()['access_token']}"
    }
    created = api.client.post(
        USERS,
        json={
            "email": " Bob@" + fullwidth("EXAMPLE") + ".com",
            "password": PASSWORD,
            "name": "Bob",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "bob@example.com"
    twin = api.client.post(
        USERS, json={"email": "BOB@example.com", "password": PASSWORD, "name": "B"}, headers=admin
    )
    assert_problem(twin, 409, "email-taken")
    refused = api.client.post(
        USERS,
        json={"email": cyrillic("bob") + "@example.com", "password": PASSWORD, "name": "B"},
        headers=admin,
    )
    assert assert_invalid(refused) == {"email"}
    assert refused.json()["errors"][0]["code"] == "email_internationalized"

    bob = created.json()
    etag = api.client.get(f"{USERS}/{bob['id']}", headers=admin).headers["etag"]
    changed = api.client.patch(
        f"{USERS}/{bob['id']}",
        json={"email": "Robert@Bücher.de "},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "robert@xn--bcher-kva.de"
    etag = changed.headers["etag"]
    taken = api.client.patch(
        f"{USERS}/{bob['id']}",
        json={"email": fullwidth("root") + "@example.com"},
        headers={**admin, "If-Match": etag},
    )
    assert_problem(taken, 409, "email-taken")
    assert sorted(api.stored_emails()) == ["robert@xn--bcher-kva.de", "root@example.com"]
