"""Fail closed: every setting is validated at start-up (ranges with reasons, secret
sanity, URLs), so nothing passes start-up and fails later, and on Lambda nothing falls
back to a local default."""

from __future__ import annotations

import json
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from adapters.email.memory import InMemoryEmailSender
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.setting_values import ranged, secret_problem
from entrypoints.settings import Settings, SettingsError, load_settings
from tests.fakes import PlainPasswordHasher

pytestmark = pytest.mark.unit

SECRET = secrets.token_urlsafe(48)
PROD = {
    "APP_ENV": "prod",
    "JWT_SECRET": SECRET,
    "EMAIL_FROM": "no-reply@example.com",
    "IDENTIFIER_HMAC_KEY": secrets.token_urlsafe(48),
}
TEST = {"APP_ENV": "test", "JWT_SECRET": "t" * 48}


def refused(env: dict[str, str], name: str) -> str:
    with pytest.raises(SettingsError) as exc:
        load_settings(env)
    assert exc.value.setting == name
    assert str(exc.value).startswith(f"{name}: ")
    # No library traceback chained to the message.
    assert exc.value.__cause__ is None
    assert exc.value.__suppress_context__ or exc.value.__context__ is None
    return str(exc.value)


# --- Lambda: APP_ENV explicit, never local or test --------------------------------------


@pytest.mark.parametrize("app_env", ["", "local", "test"])
def test_on_lambda_app_env_must_be_dev_or_prod(app_env: str) -> None:
    env = {**PROD, "APP_ENV": app_env, "AWS_LAMBDA_FUNCTION_NAME": "api", "APP_STORAGE": "memory"}
    message = refused(env, "APP_ENV")
    assert "must be dev or prod on AWS Lambda" in message


def test_without_app_env_lambda_is_refused_rather_than_local() -> None:
    message = refused({"AWS_LAMBDA_FUNCTION_NAME": "api", "JWT_SECRET": SECRET}, "APP_ENV")
    assert message.endswith("found unset")


def test_off_lambda_app_env_still_defaults_to_local() -> None:
    assert load_settings({}).environment == "local"


def test_on_lambda_the_embedded_store_is_refused() -> None:
    env = {**PROD, "AWS_LAMBDA_FUNCTION_NAME": "api"}
    assert "MONGODB_URI" in refused(env, "APP_STORAGE")


# --- ranges, each with its reason ---------------------------------------------------------

RANGES = [
    ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", 100, 30_000),
    ("MONGODB_TIMEOUT_MS", 100, 30_000),
    ("MONGODB_MAX_POOL_SIZE", 1, 500),
    ("ACCESS_TOKEN_TTL_SECONDS", 10, 86_400),
    ("REFRESH_REUSE_GRACE_SECONDS", 0, 60),
    ("PASSWORD_MIN_LENGTH", 8, 64),
    ("ARGON2_MEMORY_KIB", 19_456, 1_048_576),
    ("ARGON2_TIME_COST", 2, 20),
    ("ARGON2_PARALLELISM", 1, 16),
    ("HASHER_MAX_CONCURRENCY", 1, 64),
    ("SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT", 1, 10**9),
    ("SIGN_IN_FREE_ATTEMPTS_PER_IP", 1, 10**9),
    ("SIGN_IN_WINDOW_SECONDS", 60, 7 * 86_400),
    ("EMAIL_VERIFICATION_TTL_SECONDS", 300, 30 * 86_400),
    ("PASSWORD_RESET_TTL_SECONDS", 300, 86_400),
    ("TWO_FACTOR_CHALLENGE_TTL_SECONDS", 60, 1800),
    ("EMAIL_LINK_MIN_RESPONSE_MS", 0, 10_000),
    ("AUDIT_RETENTION_DAYS", 1, 3650),
]


@pytest.mark.parametrize(("name", "low", "high"), RANGES, ids=[r[0] for r in RANGES])
def test_each_number_has_a_range_and_the_message_gives_its_reason(
    name: str, low: int, high: int
) -> None:
    for value in (low - 1, high + 1):
        message = refused({**TEST, name: str(value)}, name)
        assert f"must be between {low} and {high} (" in message
        assert message.rstrip().endswith(f"got {value}")
    idle_and_absolute = {"REFRESH_IDLE_TTL_SECONDS": "300", "REFRESH_ABSOLUTE_TTL_SECONDS": "300"}
    for value in (low, high):
        load_settings({**TEST, **idle_and_absolute, name: str(value)})


@pytest.mark.parametrize("name", ["REFRESH_IDLE_TTL_SECONDS", "REFRESH_ABSOLUTE_TTL_SECONDS"])
def test_refresh_lifetimes_are_five_minutes_to_a_year(name: str) -> None:
    refused({**TEST, name: "299"}, name)
    refused({**TEST, name: str(365 * 86_400 + 1)}, name)


@pytest.mark.parametrize("value", ["0.001", "121", "nan", "-1"])
def test_the_hasher_queue_timeout_has_a_range_too(value: str) -> None:
    refused({**TEST, "HASHER_QUEUE_TIMEOUT_SECONDS": value}, "HASHER_QUEUE_TIMEOUT_SECONDS")


def test_link_lifetimes_under_a_minute_no_longer_pass_start_up() -> None:
    # They used to, and sign-up then answered 500 after creating the user.
    for name in ("EMAIL_VERIFICATION_TTL_SECONDS", "PASSWORD_RESET_TTL_SECONDS"):
        assert "mail can take minutes" in refused({**TEST, name: "30"}, name)


def test_the_shortest_accepted_lifetimes_work_end_to_end() -> None:
    shortest = {name: str(low) for name, low, _ in RANGES if name.endswith("_TTL_SECONDS")}
    env = {
        **TEST,
        **shortest,
        "REFRESH_IDLE_TTL_SECONDS": "300",
        "REFRESH_ABSOLUTE_TTL_SECONDS": "300",
        "EMAIL_LINK_MIN_RESPONSE_MS": "0",
    }
    outbox = InMemoryEmailSender()
    services = build_services(load_settings(env), hasher=PlainPasswordHasher(), email=outbox)
    body = {"email": "ann@example.com", "password": "velvet harbor quantum meadow", "name": "Ann"}
    with TestClient(create_app(services)) as client:
        assert client.post("/api/v1/auth/sign-up", json=body).status_code == 201
        reset = client.post("/api/v1/auth/password-reset", json={"email": "ann@example.com"})
        assert reset.status_code == 202
    texts = [message.text for message in outbox.outbox]
    assert len(texts) == 2
    assert all("valid for 5 minutes" in text for text in texts)


def test_the_range_helper_is_reusable_for_new_settings() -> None:
    parse = ranged(1, 5, "why it matters")
    assert parse("5") == 5
    with pytest.raises(ValueError, match=r"^must be between 1 and 5 \(why it matters\), got 6$"):
        parse("6")


# --- the JWT secret outside local ---------------------------------------------------------

PLACEHOLDERS = [
    "s" * 48,
    "abcd" * 12,
    "0123456789" * 4,
    "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd",
    "change-me-to-a-long-random-string-of-48-chars!!",
    "<64 characters>................................",
    "this-is-an-example-secret-value-for-the-docs-12",
]


@pytest.mark.parametrize("secret", PLACEHOLDERS)
def test_a_placeholder_jwt_secret_is_refused_outside_local(secret: str) -> None:
    message = refused({**PROD, "JWT_SECRET": secret}, "JWT_SECRET")
    assert secret not in message
    assert "token_urlsafe" in message


@pytest.mark.parametrize("secret", PLACEHOLDERS)
def test_local_and_test_runs_accept_any_long_enough_secret(secret: str) -> None:
    assert load_settings({"APP_ENV": "test", "JWT_SECRET": secret}).jwt_secret == secret


@pytest.mark.parametrize(
    "secret", [secrets.token_urlsafe(48), secrets.token_hex(32), secrets.token_urlsafe(32)]
)
def test_generated_secrets_pass(secret: str) -> None:
    assert secret_problem(secret) is None
    assert load_settings({**PROD, "JWT_SECRET": secret}).jwt_secret == secret


# --- URLs and other values that used to fail later ----------------------------------------


def test_public_base_url_must_be_https_outside_local() -> None:
    assert "https" in refused(
        {**PROD, "PUBLIC_BASE_URL": "http://auth.example.com"}, "PUBLIC_BASE_URL"
    )
    url = "https://auth.example.com/app"
    assert load_settings({**PROD, "PUBLIC_BASE_URL": url}).public_base_url == url
    assert load_settings({**TEST, "PUBLIC_BASE_URL": "http://127.0.0.1:8000"}).public_base_url


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@auth.example.com",
        "https://auth.example.com/?next=x",
        "https://auth.example.com/#x",
        "javascript:alert(1)",
        "https://",
        "https://auth.example.com/a b",
    ],
)
def test_public_base_url_is_an_origin_without_credentials_query_or_fragment(url: str) -> None:
    message = refused({**TEST, "PUBLIC_BASE_URL": url}, "PUBLIC_BASE_URL")
    assert "pw@" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MONGODB_URI", "postgres://db.example.com"),
        ("MONGODB_URI", "mongodb://"),
        ("MONGODB_DATABASE", "auth.prod"),
        ("MONGODB_DATABASE", "a" * 64),
        ("MONGODB_DATABASE", "my db"),
        ("PRODUCT_NAME", "Acme\r\nBcc: victim@example.com"),
        ("PRODUCT_NAME", "A" * 101),
        ("EMAIL_FROM", "no-reply"),
        ("EMAIL_FROM", "Acme <no-reply@example.com>\nBcc: x@example.com"),
        ("SES_CONFIGURATION_SET", "has spaces"),
        ("CLIENT_IP_HEADER", "x viewer ip"),
        ("CLIENT_IP_HEADER", "x-viewer-ip:"),
        ("JWT_ISSUER", "   "),
        ("JWT_AUDIENCE", "api\nx"),
        ("APP_DATA_DIR", "   "),
    ],
)
def test_values_that_would_fail_later_are_refused_at_start_up(name: str, value: str) -> None:
    refused({**TEST, name: value}, name)


@pytest.mark.parametrize("sender", ["no-reply@example.com", "Acme Accounts <no-reply@example.com>"])
def test_a_sender_is_an_address_or_a_named_address(sender: str) -> None:
    assert load_settings({**PROD, "EMAIL_FROM": sender}).email_from == sender


def test_the_client_ip_header_is_read_lowercased() -> None:
    assert load_settings({**TEST, "CLIENT_IP_HEADER": "X-Viewer-IP"}).client_ip_header == (
        "x-viewer-ip"
    )


# --- EdDSA keys are checked when the app is built -----------------------------------------


def pem_pair() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def eddsa(private: str, public: str) -> Settings:
    return load_settings(
        {
            **TEST,
            "JWT_ALGORITHM": "EdDSA",
            "JWT_SIGNING_KID": "k1",
            "JWT_PRIVATE_KEY": private,
            "JWT_PUBLIC_KEYS": json.dumps({"k1": public}),
        }
    )


def test_eddsa_without_its_keys_is_refused_by_the_settings() -> None:
    refused({**TEST, "JWT_ALGORITHM": "EdDSA"}, "JWT_ALGORITHM")


def test_an_eddsa_key_that_is_not_a_key_stops_start_up() -> None:
    _, public = pem_pair()
    with pytest.raises(SettingsError) as exc:
        build_services(eddsa("not a pem", public))
    assert exc.value.setting == "JWT_PRIVATE_KEY"


def test_an_eddsa_private_key_that_does_not_match_its_public_key_stops_start_up() -> None:
    (private, _), (_, other_public) = pem_pair(), pem_pair()
    with pytest.raises(SettingsError, match="does not match") as exc:
        build_services(eddsa(private, other_public))
    assert exc.value.setting == "JWT_PRIVATE_KEY"
    build_services(eddsa(*pem_pair()))
