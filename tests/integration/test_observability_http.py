"""The HTTP layer's telemetry through the real app: one access line and one EMF line per
request, request ids everywhere, and never a secret in the output."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.security.argon2_hasher import Argon2PasswordHasher
from domain.users import Email
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from observability.metrics import EmfMetrics
from tests.fakes import PlainPasswordHasher
from tests.unit.observability.emf_spec import emf_lines
from tests.unit.observability.logs import CapturedLogs, capture_logs

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

JWT_SECRET = "observability-test-secret-" + "k" * 32
PASSWORD = "velvet harbor quantum meadow"
NEW_PASSWORD = "tremendous purple elephant dance"
WRONG_PASSWORD = "not my password at all, really"
AUTH = "/api/v1/auth"


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    with capture_logs("DEBUG") as captured:
        yield captured


@pytest.fixture
def emf_out() -> io.StringIO:
    return io.StringIO()


def make_services(emf_out: io.StringIO, hasher: Any) -> Services:
    settings = load_settings(
        {"APP_ENV": "test", "JWT_SECRET": JWT_SECRET, "REFRESH_REUSE_GRACE_SECONDS": "0"}
    )
    metrics = EmfMetrics(settings.metrics_namespace, "auth-test", stream=emf_out)
    return build_services(settings, hasher=hasher, metrics=metrics)


@pytest.fixture
async def client(emf_out: io.StringIO) -> AsyncIterator[AsyncTestClient[Any]]:
    services = make_services(emf_out, PlainPasswordHasher())
    async with AsyncTestClient(create_app(services)) as test_client:
        yield test_client


async def sign_up(client: AsyncTestClient[Any], email: str = "ann@example.com") -> Any:
    response = await client.post(
        f"{AUTH}/sign-up", json={"email": email, "password": PASSWORD, "name": "Ann"}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_each_request_gets_one_access_line_with_route_template_status_and_ids(
    client: AsyncTestClient[Any], logs: CapturedLogs
) -> None:
    created = await sign_up(client)
    user_id = created["user"]["id"]
    headers = {"Authorization": f"Bearer {created['tokens']['access_token']}"}

    response = await client.get(f"/api/v1/users/{user_id}", headers=headers)

    sign_up_line, get_line = logs.events("request")
    assert (sign_up_line["method"], sign_up_line["route"], sign_up_line["status"]) == (
        "POST",
        "/api/v1/auth/sign-up",
        201,
    )
    assert get_line["route"] == "/api/v1/users/{user_id}"
    assert get_line["request_id"] == response.headers["x-request-id"]
    assert get_line["user_id"] == sign_up_line["user_id"] == user_id
    assert isinstance(get_line["duration_ms"], float)
    assert get_line["logger"] == "http.access"


async def test_unmatched_paths_and_methods_are_logged_without_their_raw_path(
    client: AsyncTestClient[Any], logs: CapturedLogs, emf_out: io.StringIO
) -> None:
    await client.get("/api/v1/no/such/path/with-a-token-in-it")
    await client.request("BREW", "/health")

    not_found, not_allowed = logs.events("request")
    # No route, or a catch-all route's template (the frontend's static files): never the path.
    assert not_found["route"] == "unmatched" or "{" in not_found["route"]
    assert not_found["status"] == 404
    assert (not_allowed["method"], not_allowed["route"], not_allowed["status"]) == (
        "OTHER",
        "unmatched",
        405,
    )
    assert "with-a-token-in-it" not in logs.service_text() + emf_out.getvalue()
    assert len(emf_lines(emf_out.getvalue())) == 2


async def test_a_client_sent_trace_header_names_the_trace_in_the_access_line(
    client: AsyncTestClient[Any], logs: CapturedLogs
) -> None:
    root = "1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"
    headers = {"X-Amzn-Trace-Id": f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"}

    await client.get("/health", headers=headers)

    (line,) = logs.events("request")
    assert line["trace_id"] == root
    assert "lambda_request_id" not in line


async def test_each_request_writes_exactly_one_emf_line(
    client: AsyncTestClient[Any], emf_out: io.StringIO
) -> None:
    await sign_up(client)
    await client.get("/health")
    await client.get("/api/v1/users/me")

    documents = emf_lines(emf_out.getvalue())
    assert [(d["Route"], d["StatusClass"]) for d in documents] == [
        ("/api/v1/auth/sign-up", "2xx"),
        ("/health", "2xx"),
        ("/api/v1/users/me", "4xx"),
    ]
    assert documents[0]["SignUps"] == 1


async def test_application_log_lines_inside_a_request_carry_its_request_id(
    client: AsyncTestClient[Any], logs: CapturedLogs
) -> None:
    await sign_up(client)
    response = await client.post(
        f"{AUTH}/sign-in", json={"email": "ann@example.com", "password": WRONG_PASSWORD}
    )

    (sign_in,) = logs.events("sign_in")
    assert sign_in["outcome"] == "failure"
    assert sign_in["request_id"] == response.headers["x-request-id"]


async def test_no_password_token_or_hash_is_ever_logged_in_a_full_session_run(
    emf_out: io.StringIO, logs: CapturedLogs, argon2_hasher: Argon2PasswordHasher
) -> None:
    services = make_services(emf_out, argon2_hasher)
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, JWT_SECRET]
    async with AsyncTestClient(create_app(services)) as client:
        created = await sign_up(client)
        secrets += [created["tokens"]["access_token"], created["tokens"]["refresh_token"]]
        user = await services.adapters.users.get_by_email(Email("ann@example.com"))
        assert user is not None
        secrets.append(user.password_hash)
        credentials = {"email": "ann@example.com", "password": PASSWORD}
        await client.post(f"{AUTH}/sign-in", json={**credentials, "password": WRONG_PASSWORD})
        signed_in = (await client.post(f"{AUTH}/sign-in", json=credentials)).json()
        refreshed = (
            await client.post(f"{AUTH}/refresh", json={"refresh_token": signed_in["refresh_token"]})
        ).json()
        reused = await client.post(
            f"{AUTH}/refresh", json={"refresh_token": signed_in["refresh_token"]}
        )
        assert reused.status_code == 401
        again = (await client.post(f"{AUTH}/sign-in", json=credentials)).json()
        bearer = {"Authorization": f"Bearer {again['access_token']}"}
        changed = await client.post(
            "/api/v1/users/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer,
        )
        assert changed.status_code == 204
        await client.post(f"{AUTH}/sign-out", json={"refresh_token": again["refresh_token"]})
        for pair in (signed_in, refreshed, again):
            secrets += [pair["access_token"], pair["refresh_token"]]
        user = await services.adapters.users.get_by_email(Email("ann@example.com"))
        assert user is not None
        secrets.append(user.password_hash)

    secrets += [hashlib.sha256(s.encode()).hexdigest() for s in list(secrets)]
    output = logs.text + emf_out.getvalue()
    assert len(logs.events("request")) == 8
    assert logs.events("refresh_reuse")
    leaked = [secret for secret in secrets if secret in output]
    assert leaked == []
    assert '"password"' not in output
