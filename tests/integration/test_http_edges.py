"""HTTP tests of the cross-cutting rules of API.md: health, OpenAPI, JWKS, headers, request
ids, body limits, unknown fields and the problem+json shape of every error."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from adapters.security.argon2_hasher import Argon2PasswordHasher
from application.users.create_user import NewUser
from domain.errors import StoreUnavailableError
from domain.users import Role, User
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD, MakeUser

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PROBLEM_JSON = "application/problem+json"
MAX_BODY = 64 * 1024
GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
Client = AsyncTestClient[Any]


@pytest.fixture
def services(
    settings: Settings, argon2_hasher: Argon2PasswordHasher, outbox: InMemoryEmailSender
) -> Services:
    """Production wiring, sharing the session's argon2 hasher (building one costs a hash)."""
    return build_services(settings, hasher=argon2_hasher, email=outbox)


# --- helpers -------------------------------------------------------------------------


def assert_problem(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["title"], str)
    assert body["title"]
    assert "Traceback" not in response.text
    return body


def bearer(services: Services, user: User) -> dict[str, str]:
    token = services.adapters.tokens.issue(user, datetime.now(UTC), uuid.uuid4().hex, "sid-1")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def admin(make_user: MakeUser) -> User:
    return await make_user(email="root@example.com", name="Root", role=Role.ADMIN)


@pytest.fixture
def admin_headers(services: Services, admin: User) -> dict[str, str]:
    return bearer(services, admin)


class FailingStore:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def ping(self) -> None:
        raise self.error


async def asgi_call(
    app: Litestar, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, dict[bytes, bytes], bytes]:
    """Drive the ASGI app directly, e.g. with a chunked body and no Content-Length."""
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    pending = iter(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(pending, {"type": "http.disconnect"})

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


# --- health --------------------------------------------------------------------------


async def test_liveness_answers_ok(client: Client) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_readiness_answers_ok_when_the_store_answers(client: Client) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_a_503_problem_when_the_store_is_unreachable(
    settings: Settings, argon2_hasher: Argon2PasswordHasher
) -> None:
    store = FailingStore(StoreUnavailableError())
    services = build_services(settings, hasher=argon2_hasher, store=store)
    async with AsyncTestClient(create_app(services)) as client:
        response = await client.get("/health/ready")
        liveness = await client.get("/health")

    body = assert_problem(response, 503)
    assert body["type"] == "/problems/store-unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert liveness.status_code == 200


async def test_an_unexpected_failure_is_a_generic_500_that_leaks_nothing(
    settings: Settings, argon2_hasher: Argon2PasswordHasher
) -> None:
    secret = "mongodb://admin:hunter2@db.internal:27017 ServerSelectionTimeoutError"
    services = build_services(
        settings, hasher=argon2_hasher, store=FailingStore(RuntimeError(secret))
    )
    async with AsyncTestClient(create_app(services)) as client:
        response = await client.get("/health/ready")

    body = assert_problem(response, 500)
    assert body["type"] == "about:blank"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "ServerSelection" not in response.text


# --- OpenAPI -------------------------------------------------------------------------

CONTRACT_OPERATIONS = {
    ("post", "/api/v1/auth/sign-up"),
    ("post", "/api/v1/auth/sign-in"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/sign-out"),
    ("get", "/api/v1/users/me"),
    ("post", "/api/v1/users/me/password"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{user_id}"),
    ("patch", "/api/v1/users/{user_id}"),
    ("delete", "/api/v1/users/{user_id}"),
    ("get", "/health"),
    ("get", "/health/ready"),
    ("get", "/.well-known/jwks.json"),
    # Account lifecycle.
    ("post", "/api/v1/auth/sign-in/totp"),
    ("post", "/api/v1/auth/verify-email"),
    ("post", "/api/v1/auth/verify-email/resend"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("get", "/api/v1/users/me/sessions"),
    ("delete", "/api/v1/users/me/sessions"),
    ("delete", "/api/v1/users/me/sessions/{session_id}"),
    ("post", "/api/v1/users/me/two-factor"),
    ("post", "/api/v1/users/me/two-factor/confirm"),
    ("post", "/api/v1/users/me/two-factor/disable"),
    ("get", "/api/v1/users/me/audit"),
    ("get", "/api/v1/audit"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


async def openapi_operations(client: Client) -> dict[tuple[str, str], Any]:
    document = (await client.get("/schema/openapi.json")).json()
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


async def test_the_openapi_document_is_version_3_1(client: Client) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert "json" in response.headers["content-type"]
    document = response.json()
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"]
    assert document["info"]["version"]


async def test_the_openapi_document_describes_every_contract_route(client: Client) -> None:
    operations = await openapi_operations(client)

    assert set(operations) == CONTRACT_OPERATIONS


async def test_every_operation_has_a_unique_operation_id(client: Client) -> None:
    operations = await openapi_operations(client)

    ids = [operation.get("operationId") for operation in operations.values()]
    assert all(isinstance(operation_id, str) and operation_id for operation_id in ids), ids
    assert len(set(ids)) == len(ids)


async def test_user_operations_require_the_bearer_scheme_and_auth_ones_do_not(
    client: Client,
) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operations = await openapi_operations(client)

    scheme = document["components"]["securitySchemes"]["BearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for (_, path), operation in operations.items():
        required = operation.get("security") == [{"BearerToken": []}]
        assert required is path.startswith(("/api/v1/users", "/api/v1/audit")), path


async def test_the_openapi_schemas_never_expose_a_password_in_a_response(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    for name in ("UserOut", "UserPageOut", "SignUpOut", "TokenPairOut"):
        schema = json.dumps(document["components"]["schemas"][name])
        assert "password" not in schema, name


async def test_the_openapi_document_lists_the_failure_statuses_of_the_contract(
    client: Client,
) -> None:
    expected = {
        "signUp": {"201", "409", "422"},
        "signIn": {"200", "202", "401", "403", "422", "429"},
        "refresh": {"200", "401", "422"},
        "signOut": {"204", "422"},
        "getMe": {"200", "401"},
        "changePassword": {"204", "401", "422"},
        "listUsers": {"200", "401", "403", "422"},
        "createUser": {"201", "401", "403", "409", "422"},
        "getUser": {"200", "401", "404"},
        "updateUser": {"200", "401", "403", "404", "409", "412", "422", "428"},
        "deleteUser": {"204", "401", "404"},
        "ready": {"200", "503"},
        "signInTwoFactor": {"200", "401", "422", "429"},
        "verifyEmail": {"204", "400", "422"},
        "resendVerificationEmail": {"202", "422", "429"},
        "requestPasswordReset": {"202", "422", "429"},
        "confirmPasswordReset": {"204", "400", "422"},
        "listSessions": {"200", "401"},
        "revokeSession": {"204", "401", "404"},
        "revokeOtherSessions": {"204", "401"},
        "enrollTwoFactor": {"201", "401", "409", "422"},
        "confirmTwoFactor": {"200", "401", "409", "422"},
        "disableTwoFactor": {"204", "401", "409", "422", "429"},
        "listMyAuditEvents": {"200", "401", "422"},
        "listAuditEvents": {"200", "401", "403", "422"},
    }
    operations = await openapi_operations(client)
    documented = {op["operationId"]: set(op.get("responses", {})) for op in operations.values()}

    missing = {
        operation_id: sorted(statuses - documented[operation_id])
        for operation_id, statuses in expected.items()
        if statuses - documented[operation_id]
    }
    assert missing == {}


async def test_the_interactive_docs_are_served_under_schema(client: Client) -> None:
    response = await client.get("/schema")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"


# --- JWKS ----------------------------------------------------------------------------


async def test_the_jwks_is_empty_with_a_shared_hs256_secret(client: Client) -> None:
    response = await client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.json() == {"keys": []}


def eddsa_env(kid: str) -> dict[str, str]:
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return {
        "APP_ENV": "test",
        "JWT_ALGORITHM": "EdDSA",
        "JWT_SIGNING_KID": kid,
        "JWT_PRIVATE_KEY": private_pem,
        "JWT_PUBLIC_KEYS": json.dumps({kid: public_pem}),
    }


async def test_the_jwks_publishes_the_eddsa_public_key_that_verifies_access_tokens(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    services = build_services(load_settings(eddsa_env("key-2026")), hasher=argon2_hasher)
    async with AsyncTestClient(create_app(services)) as client:
        jwks_response = await client.get("/.well-known/jwks.json")
        signed_up = await client.post(
            "/api/v1/auth/sign-up",
            json={"email": "ann@example.com", "password": STRONG_PASSWORD, "name": "Ann"},
        )
        access_token = signed_up.json()["tokens"]["access_token"]
        me = await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"}
        )

    assert jwks_response.status_code == 200
    keys = jwks_response.json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kid"] == "key-2026"
    assert (keys[0]["kty"], keys[0]["crv"]) == ("OKP", "Ed25519")
    assert "d" not in keys[0]
    assert jwt.get_unverified_header(access_token)["kid"] == "key-2026"
    claims = jwt.decode(
        access_token,
        jwt.PyJWK(keys[0]).key,
        algorithms=["EdDSA"],
        audience=services.settings.jwt_audience,
        issuer=services.settings.jwt_issuer,
    )
    assert claims["sub"] == signed_up.json()["user"]["id"]
    assert me.status_code == 200


# --- security headers ----------------------------------------------------------------

RequestOf = Callable[[Client, dict[str, str]], Awaitable[httpx.Response]]

API_REQUESTS: dict[str, tuple[RequestOf, int]] = {
    "sign-in-401": (
        lambda c, h: c.post(
            "/api/v1/auth/sign-in", json={"email": "x@example.com", "password": OTHER_PASSWORD}
        ),
        401,
    ),
    "sign-up-422": (lambda c, h: c.post("/api/v1/auth/sign-up", json={}), 422),
    "refresh-401": (lambda c, h: c.post("/api/v1/auth/refresh", json={"refresh_token": "x"}), 401),
    "sign-out-204": (
        lambda c, h: c.post("/api/v1/auth/sign-out", json={"refresh_token": "x"}),
        204,
    ),
    "me-200": (lambda c, h: c.get("/api/v1/users/me", headers=h), 200),
    "me-401": (lambda c, h: c.get("/api/v1/users/me"), 401),
    "list-200": (lambda c, h: c.get("/api/v1/users", headers=h), 200),
    "user-404": (lambda c, h: c.get("/api/v1/users/nobody", headers=h), 404),
    "patch-428": (lambda c, h: c.patch("/api/v1/users/nobody", json={}, headers=h), 428),
}


@pytest.mark.parametrize("case", list(API_REQUESTS))
async def test_auth_and_user_routes_are_never_cached_and_never_sniffed(
    client: Client, admin_headers: dict[str, str], case: str
) -> None:
    send, status = API_REQUESTS[case]

    response = await send(client, admin_headers)

    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert GENERATED_REQUEST_ID.match(response.headers["x-request-id"])


@pytest.mark.parametrize(
    "path", ["/health", "/health/ready", "/.well-known/jwks.json", "/schema/openapi.json"]
)
async def test_operational_routes_carry_nosniff_and_a_request_id(client: Client, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no/such/route", 404), ("DELETE", "/health", 405), ("PUT", "/api/v1/users/me", 405)],
)
async def test_routing_errors_are_problems(
    client: Client, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert_problem(response, status)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/nothing-here"), ("DELETE", "/health"), ("PUT", "/api/v1/users/me")],
)
async def test_routing_errors_carry_the_common_headers_and_a_request_id(
    client: Client, method: str, path: str
) -> None:
    response = await client.request(method, path, headers={"X-Request-ID": "trace-404"})

    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("x-request-id") == "trace-404"


# --- request ids ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_id", ["abc-123", "trace.id:42_A", "x" * 128], ids=["simple", "punctuation", "max"]
)
async def test_a_sane_request_id_is_echoed(client: Client, request_id: str) -> None:
    ok = await client.get("/health", headers={"X-Request-ID": request_id})
    failed = await client.get("/api/v1/users/me", headers={"X-Request-ID": request_id})

    assert ok.headers["x-request-id"] == request_id
    assert failed.status_code == 401
    assert failed.headers["x-request-id"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["has space", "x" * 129, "semi;colon", 'quote"d', "<script>", "a/b", ""],
    ids=["space", "too-long", "semicolon", "quote", "markup", "slash", "empty"],
)
async def test_an_insane_request_id_is_replaced_by_a_generated_one(
    client: Client, request_id: str
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": request_id})

    echoed = response.headers.get_list("x-request-id")
    assert len(echoed) == 1
    assert echoed[0] != request_id
    assert GENERATED_REQUEST_ID.match(echoed[0])


async def test_every_request_without_an_id_gets_a_fresh_one(client: Client) -> None:
    first = await client.get("/health")
    second = await client.get("/health")

    assert GENERATED_REQUEST_ID.match(first.headers["x-request-id"])
    assert GENERATED_REQUEST_ID.match(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


# --- body size -----------------------------------------------------------------------


def oversized_json(size: int) -> bytes:
    prefix = b'{"email":"ann@example.com","name":"Ann","password":"'
    return prefix + b"x" * (size - len(prefix) - 2) + b'"}'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/auth/sign-up"),
        ("POST", "/api/v1/auth/sign-in"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/anyone"),
    ],
)
async def test_a_body_over_64_kib_is_a_413_problem(
    client: Client, admin_headers: dict[str, str], method: str, path: str
) -> None:
    body = oversized_json(MAX_BODY + 1)
    assert len(body) == MAX_BODY + 1

    response = await client.request(
        method,
        path,
        content=body,
        headers={**admin_headers, "content-type": "application/json", "If-Match": '"1-x"'},
    )

    assert_problem(response, 413)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_body_of_exactly_64_kib_is_not_refused_for_its_size(client: Client) -> None:
    body = oversized_json(MAX_BODY)

    response = await client.post(
        "/api/v1/auth/sign-up", content=body, headers={"content-type": "application/json"}
    )

    assert_problem(response, 422)


async def test_a_chunked_body_over_64_kib_is_a_413_problem(services: Services) -> None:
    app = create_app(services)
    chunks = [b"x" * 1024] * 65 + [b"y"]

    status, headers, body = await asgi_call(
        app,
        "POST",
        "/api/v1/auth/sign-in",
        [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        chunks,
    )

    assert status == 413
    assert headers[b"content-type"].startswith(PROBLEM_JSON.encode())
    assert json.loads(body)["status"] == 413


# --- unknown fields and malformed bodies -----------------------------------------------

BODY_ROUTES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "sign-up": (
        "POST",
        "/api/v1/auth/sign-up",
        {"email": "bob@example.com", "password": OTHER_PASSWORD, "name": "Bob"},
    ),
    "sign-in": ("POST", "/api/v1/auth/sign-in", {"email": "bob@example.com", "password": "x"}),
    "refresh": ("POST", "/api/v1/auth/refresh", {"refresh_token": "x"}),
    "sign-out": ("POST", "/api/v1/auth/sign-out", {"refresh_token": "x"}),
    "change-password": (
        "POST",
        "/api/v1/users/me/password",
        {"current_password": STRONG_PASSWORD, "new_password": OTHER_PASSWORD},
    ),
    "create-user": (
        "POST",
        "/api/v1/users",
        {"email": "bob@example.com", "password": OTHER_PASSWORD, "name": "Bob"},
    ),
    "update-user": ("PATCH", "/api/v1/users/{admin_id}", {"name": "Bob"}),
}


@pytest.mark.parametrize("route", list(BODY_ROUTES))
async def test_unknown_json_fields_are_refused_with_422_on_every_route(
    client: Client, admin: User, admin_headers: dict[str, str], route: str
) -> None:
    method, path, body = BODY_ROUTES[route]
    etag = (await client.get("/api/v1/users/me", headers=admin_headers)).headers["etag"]

    response = await client.request(
        method,
        path.format(admin_id=admin.id),
        json={**body, "is_admin": True},
        headers={**admin_headers, "If-Match": etag},
    )

    problem = assert_problem(response, 422)
    assert problem["type"] == "/problems/invalid-input"
    assert problem["errors"]
    assert "is_admin" in json.dumps(problem["errors"])
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"email": "a@b.c", "password": "x",}', b"\xff\xfe"]
)
async def test_malformed_json_is_a_client_error_problem(client: Client, content: bytes) -> None:
    response = await client.post(
        "/api/v1/auth/sign-in", content=content, headers={"content-type": "application/json"}
    )

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert response.headers["cache-control"] == "no-store"


# --- every error is a problem ----------------------------------------------------------


async def test_every_kind_of_error_is_an_rfc_9457_problem(
    client: Client, services: Services, admin: User, admin_headers: dict[str, str]
) -> None:
    user = await services.user_factory.create(NewUser("ann@example.com", OTHER_PASSWORD, "Ann"))
    user_headers = bearer(services, user)
    etag = (await client.get("/api/v1/users/me", headers=user_headers)).headers["etag"]
    cases: list[tuple[int, httpx.Response]] = [
        (401, await client.get("/api/v1/users/me")),
        (403, await client.get("/api/v1/users", headers=user_headers)),
        (404, await client.get(f"/api/v1/users/{admin.id}", headers=user_headers)),
        (
            409,
            await client.patch(
                f"/api/v1/users/{user.id}",
                json={"email": "root@example.com", "current_password": OTHER_PASSWORD},
                headers={**user_headers, "If-Match": etag},
            ),
        ),
        (
            412,
            await client.patch(
                f"/api/v1/users/{user.id}", json={}, headers={**user_headers, "If-Match": '"9-x"'}
            ),
        ),
        (422, await client.get("/api/v1/users", params={"limit": 0}, headers=admin_headers)),
        (428, await client.patch(f"/api/v1/users/{user.id}", json={}, headers=user_headers)),
    ]

    for status, response in cases:
        body = assert_problem(response, status)
        assert set(body) <= {"type", "title", "status", "detail", "instance", "errors"}
        assert response.headers["x-content-type-options"] == "nosniff"
