"""`entrypoints.settings`: every setting from environment variables, refused early when bad."""

from __future__ import annotations

import dataclasses
import json

import pytest

from entrypoints.bootstrap import build_services
from entrypoints.settings import Settings, SettingsError, load_settings

pytestmark = pytest.mark.unit

SENDER = "no-reply@example.com"
# A generated secret: `secrets.token_urlsafe(36)`.
SECRET = "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA"
TEST_ENV = {"APP_ENV": "test", "JWT_SECRET": SECRET}
IDENTIFIER_KEY = "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev"
# What a deployed function has: the runtime's name for it, and an explicit stage.
ON_LAMBDA = {
    "AWS_LAMBDA_FUNCTION_NAME": "api",
    "APP_ENV": "prod",
    "EMAIL_FROM": SENDER,
    "MONGODB_URI": "mongodb://db.example.com",
    "IDENTIFIER_HMAC_KEY": IDENTIFIER_KEY,
    "KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}


def settings_with(**env: str) -> Settings:
    return load_settings({**TEST_ENV, **env})


# --- defaults ---------------------------------------------------------------------------


def test_with_nothing_set_every_setting_has_its_documented_default() -> None:
    settings = load_settings({})

    assert settings.environment == "local"
    assert settings.is_local is True
    assert settings.storage == "embedded"
    assert settings.log_level == "INFO"
    assert settings.jwt_algorithm == "HS256"
    assert settings.jwt_issuer == "serverless-auth"
    assert settings.jwt_audience == "serverless-auth-api"
    assert settings.jwt_public_keys == {}
    assert settings.access_token_ttl_seconds == 900
    assert settings.refresh_idle_ttl_seconds == 1_209_600
    assert settings.refresh_absolute_ttl_seconds == 2_592_000
    assert settings.refresh_reuse_grace_seconds == 5
    assert settings.password_min_length == 15
    assert (settings.argon2_memory_kib, settings.argon2_time_cost) == (19456, 2)
    assert settings.argon2_parallelism == 1
    assert settings.hasher_max_concurrency == 4
    assert settings.hasher_queue_timeout_seconds == 2.0
    assert settings.sign_in_free_attempts_per_account == 5
    assert settings.sign_in_free_attempts_per_ip == 50
    assert settings.sign_in_window_seconds == 900
    assert settings.max_body_bytes == 64 * 1024


def test_local_runs_get_a_fresh_random_secret_of_at_least_32_bytes() -> None:
    first, second = load_settings({}), load_settings({"APP_ENV": "test"})

    assert len(first.jwt_secret.encode()) >= 32
    assert len(second.jwt_secret.encode()) >= 32
    assert first.jwt_secret != second.jwt_secret


def test_a_given_jwt_secret_is_used_as_is() -> None:
    assert settings_with().jwt_secret == SECRET


def test_an_empty_variable_means_its_default() -> None:
    settings = settings_with(LOG_LEVEL="", ACCESS_TOKEN_TTL_SECONDS="", JWT_PUBLIC_KEYS="")

    assert settings.log_level == "INFO"
    assert settings.access_token_ttl_seconds == 900
    assert settings.jwt_public_keys == {}


def test_without_a_mapping_the_process_environment_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "dev")
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("IDENTIFIER_HMAC_KEY", IDENTIFIER_KEY)
    monkeypatch.setenv("EMAIL_FROM", "no-reply@example.com")
    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "600")

    settings = load_settings()

    assert settings.environment == "dev"
    assert settings.is_local is False
    assert settings.access_token_ttl_seconds == 600


def test_every_variable_is_read_into_its_setting() -> None:
    settings = settings_with(
        LOG_LEVEL="DEBUG",
        JWT_ISSUER="https://auth.example.com",
        JWT_AUDIENCE="example-api",
        ACCESS_TOKEN_TTL_SECONDS="300",
        REFRESH_IDLE_TTL_SECONDS="3600",
        REFRESH_ABSOLUTE_TTL_SECONDS="7200",
        REFRESH_REUSE_GRACE_SECONDS="0",
        PASSWORD_MIN_LENGTH="12",
        ARGON2_MEMORY_KIB="65536",
        ARGON2_TIME_COST="3",
        ARGON2_PARALLELISM="2",
        HASHER_MAX_CONCURRENCY="8",
        HASHER_QUEUE_TIMEOUT_SECONDS="0.5",
        SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT="3",
        SIGN_IN_FREE_ATTEMPTS_PER_IP="20",
        SIGN_IN_WINDOW_SECONDS="60",
    )

    assert settings.log_level == "DEBUG"
    assert settings.jwt_issuer == "https://auth.example.com"
    assert settings.jwt_audience == "example-api"
    assert settings.access_token_ttl_seconds == 300
    assert settings.refresh_idle_ttl_seconds == 3600
    assert settings.refresh_absolute_ttl_seconds == 7200
    assert settings.refresh_reuse_grace_seconds == 0
    assert settings.password_min_length == 12
    assert settings.argon2_memory_kib == 65536
    assert settings.argon2_time_cost == 3
    assert settings.argon2_parallelism == 2
    assert settings.hasher_max_concurrency == 8
    assert settings.hasher_queue_timeout_seconds == 0.5
    assert settings.sign_in_free_attempts_per_account == 3
    assert settings.sign_in_free_attempts_per_ip == 20
    assert settings.sign_in_window_seconds == 60


def test_settings_are_immutable() -> None:
    settings = settings_with()

    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.jwt_secret = "changed"  # type: ignore[misc]


def test_secrets_never_show_in_the_settings_repr() -> None:
    settings = settings_with(
        JWT_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\nprivate-material\n-----END PRIVATE KEY-----",
        MONGODB_URI="mongodb://admin:hunter2-password@db.example.com/",
    )

    text = repr(settings)

    assert SECRET not in text
    assert "private-material" not in text
    assert "hunter2-password" not in text


# --- storage selection ------------------------------------------------------------------


def test_tests_default_to_memory_storage() -> None:
    assert settings_with().storage == "memory"


def test_a_mongodb_uri_selects_mongo_storage() -> None:
    settings = load_settings({"MONGODB_URI": "mongodb://127.0.0.1:27017"})

    assert settings.storage == "mongo"
    assert settings.mongodb_uri == "mongodb://127.0.0.1:27017"


def test_mongo_storage_without_a_uri_is_refused() -> None:
    with pytest.raises(SettingsError, match="MONGODB_URI"):
        settings_with(APP_STORAGE="mongo")


def test_the_mongo_pool_is_small_on_lambda() -> None:
    assert settings_with().mongodb_max_pool_size == 10
    assert settings_with(**ON_LAMBDA).mongodb_max_pool_size == 2
    on_lambda = settings_with(**ON_LAMBDA, MONGODB_MAX_POOL_SIZE="5")
    assert on_lambda.mongodb_max_pool_size == 5


# --- bad values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ENV", "production"),
        ("APP_ENV", "TEST"),
        ("APP_STORAGE", "sqlite"),
        ("MONGODB_DRIVER", "mongoengine"),
        ("LOG_LEVEL", "verbose"),
        ("LOG_LEVEL", "info"),
        ("JWT_ALGORITHM", "none"),
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_ALGORITHM", "HS512"),
        ("ACCESS_TOKEN_TTL_SECONDS", "0"),
        ("ACCESS_TOKEN_TTL_SECONDS", "-900"),
        ("ACCESS_TOKEN_TTL_SECONDS", "15m"),
        ("ACCESS_TOKEN_TTL_SECONDS", "1.5"),
        ("REFRESH_IDLE_TTL_SECONDS", "a day"),
        ("REFRESH_ABSOLUTE_TTL_SECONDS", "0"),
        ("REFRESH_REUSE_GRACE_SECONDS", "soon"),
        ("PASSWORD_MIN_LENGTH", "fifteen"),
        ("PASSWORD_MIN_LENGTH", "0"),
        ("ARGON2_MEMORY_KIB", "-1"),
        ("ARGON2_TIME_COST", "0"),
        ("ARGON2_PARALLELISM", "two"),
        ("HASHER_MAX_CONCURRENCY", "0"),
        ("HASHER_QUEUE_TIMEOUT_SECONDS", "0"),
        ("HASHER_QUEUE_TIMEOUT_SECONDS", "-1.0"),
        ("HASHER_QUEUE_TIMEOUT_SECONDS", "fast"),
        ("SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT", "0"),
        ("SIGN_IN_FREE_ATTEMPTS_PER_IP", "-3"),
        ("SIGN_IN_WINDOW_SECONDS", "15 minutes"),
        ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "0"),
        ("MONGODB_TIMEOUT_MS", "3s"),
        ("MONGODB_MAX_POOL_SIZE", "-1"),
        ("JWT_PUBLIC_KEYS", "not json"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{name}: ") as refused:
        settings_with(**{name: value})

    # `from None`: the message is the whole story, no library traceback chained to it.
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__ is True


def test_a_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


@pytest.mark.parametrize("value", ["nan", "inf", "Infinity"])
def test_a_queue_timeout_that_is_not_a_finite_number_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^HASHER_QUEUE_TIMEOUT_SECONDS: "):
        settings_with(HASHER_QUEUE_TIMEOUT_SECONDS=value)


def test_a_negative_reuse_grace_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^REFRESH_REUSE_GRACE_SECONDS: "):
        settings_with(REFRESH_REUSE_GRACE_SECONDS="-5")


def test_an_empty_issuer_or_audience_means_the_default() -> None:
    settings = settings_with(JWT_ISSUER="", JWT_AUDIENCE="")

    assert settings.jwt_issuer == "serverless-auth"
    assert settings.jwt_audience == "serverless-auth-api"


# --- the JWT secret ---------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_a_jwt_secret_is_required_outside_local_and_test(environment: str) -> None:
    with pytest.raises(SettingsError, match=r"^JWT_SECRET: "):
        load_settings({"APP_ENV": environment})
    with pytest.raises(SettingsError, match=r"^JWT_SECRET: "):
        load_settings({"APP_ENV": environment, "JWT_SECRET": ""})


def test_outside_local_a_given_secret_is_accepted() -> None:
    settings = load_settings(
        {
            "APP_ENV": "prod",
            "JWT_SECRET": SECRET,
            "EMAIL_FROM": SENDER,
            "IDENTIFIER_HMAC_KEY": IDENTIFIER_KEY,
        }
    )

    assert settings.environment == "prod"
    assert settings.jwt_secret == SECRET
    assert settings.identifier_hmac_key == IDENTIFIER_KEY


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_outside_local_the_identifier_key_is_required(environment: str) -> None:
    env = {"APP_ENV": environment, "JWT_SECRET": SECRET, "EMAIL_FROM": SENDER}
    with pytest.raises(SettingsError, match=r"^IDENTIFIER_HMAC_KEY: required"):
        load_settings(env)
    with pytest.raises(SettingsError, match=r"^IDENTIFIER_HMAC_KEY: must be at least 32"):
        load_settings({**env, "IDENTIFIER_HMAC_KEY": "k" * 31})


def test_local_runs_get_a_random_identifier_key_per_process() -> None:
    first, second = load_settings(TEST_ENV), load_settings(TEST_ENV)

    assert len(first.identifier_hmac_key) >= 32
    assert first.identifier_hmac_key != second.identifier_hmac_key
    assert "identifier_hmac_key" not in repr(first)


def test_eddsa_needs_no_jwt_secret_outside_local() -> None:
    keys = {"JWT_SIGNING_KID": "k1", "JWT_PRIVATE_KEY": "pem", "JWT_PUBLIC_KEYS": '{"k1": "p"}'}
    settings = load_settings(
        {
            "APP_ENV": "prod",
            "JWT_ALGORITHM": "EdDSA",
            "EMAIL_FROM": SENDER,
            "IDENTIFIER_HMAC_KEY": IDENTIFIER_KEY,
            **keys,
        }
    )

    assert settings.jwt_algorithm == "EdDSA"
    assert settings.jwt_secret == ""


def test_a_short_jwt_secret_stops_start_up() -> None:
    with pytest.raises(SettingsError, match="32 bytes"):
        load_settings({"APP_ENV": "prod", "APP_STORAGE": "memory", "JWT_SECRET": "x" * 31})


def test_a_short_jwt_secret_is_refused_naming_jwt_secret() -> None:
    env = {"APP_ENV": "prod", "APP_STORAGE": "memory", "JWT_SECRET": "x" * 31}

    with pytest.raises(SettingsError, match="JWT_SECRET"):
        build_services(load_settings(env))


def test_argon2_parameters_below_the_floor_are_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="ARGON2_MEMORY_KIB"):
        build_services(settings_with(ARGON2_MEMORY_KIB="1024"))


# --- refresh lifetimes ------------------------------------------------------------------


def test_an_absolute_lifetime_shorter_than_the_idle_one_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^REFRESH_ABSOLUTE_TTL_SECONDS: "):
        settings_with(REFRESH_IDLE_TTL_SECONDS="7200", REFRESH_ABSOLUTE_TTL_SECONDS="3600")


def test_an_idle_lifetime_above_the_default_absolute_one_is_refused() -> None:
    with pytest.raises(SettingsError, match="REFRESH_IDLE_TTL_SECONDS"):
        settings_with(REFRESH_IDLE_TTL_SECONDS=str(31 * 86400))


def test_equal_idle_and_absolute_lifetimes_are_accepted() -> None:
    settings = settings_with(REFRESH_IDLE_TTL_SECONDS="3600", REFRESH_ABSOLUTE_TTL_SECONDS="3600")

    assert settings.refresh_idle_ttl_seconds == settings.refresh_absolute_ttl_seconds == 3600


# --- JWT_PUBLIC_KEYS --------------------------------------------------------------------


def test_public_keys_are_a_json_object_of_kid_to_pem() -> None:
    keys = {"2026-01": "-----BEGIN PUBLIC KEY-----\nAAA\n", "2026-02": "-----BEGIN PUBLIC..."}

    settings = settings_with(JWT_PUBLIC_KEYS=json.dumps(keys))

    assert settings.jwt_public_keys == keys


def test_an_empty_json_object_means_no_public_keys() -> None:
    assert settings_with(JWT_PUBLIC_KEYS="{}").jwt_public_keys == {}


@pytest.mark.parametrize(
    "raw",
    ['["a", "b"]', '"a string"', "42", "null", '{"k1": 1}', '{"k1": {"pem": "x"}}', '{"k1": null}'],
)
def test_public_keys_that_are_not_an_object_of_strings_are_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^JWT_PUBLIC_KEYS: must be a JSON object"):
        settings_with(JWT_PUBLIC_KEYS=raw)


@pytest.mark.parametrize("raw", ["{", "{'k1': 'pem'}", "k1=pem"])
def test_public_keys_that_are_not_json_are_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^JWT_PUBLIC_KEYS: ") as refused:
        settings_with(JWT_PUBLIC_KEYS=raw)

    assert refused.value.__cause__ is None


def test_the_eddsa_settings_are_read_together() -> None:
    settings = load_settings(
        {
            "APP_ENV": "prod",
            "EMAIL_FROM": SENDER,
            "IDENTIFIER_HMAC_KEY": IDENTIFIER_KEY,
            "JWT_ALGORITHM": "EdDSA",
            "JWT_SIGNING_KID": "2026-02",
            "JWT_PRIVATE_KEY": "private-pem",
            "JWT_PUBLIC_KEYS": json.dumps({"2026-01": "old-pem", "2026-02": "new-pem"}),
        }
    )

    assert settings.jwt_signing_kid == "2026-02"
    assert settings.jwt_private_key == "private-pem"
    assert set(settings.jwt_public_keys) == {"2026-01", "2026-02"}


# --- observability ---------------------------------------------------------------------


def test_tracing_is_off_and_metrics_are_off_by_default_outside_lambda() -> None:
    settings = settings_with()

    assert (settings.tracer, settings.metrics) == ("none", "none")
    assert (settings.service_name, settings.metrics_namespace) == (
        "serverless-auth",
        "ServerlessAuth",
    )


def test_on_lambda_metrics_default_to_emf_and_the_service_is_named_for_the_function() -> None:
    settings = settings_with(**{**ON_LAMBDA, "AWS_LAMBDA_FUNCTION_NAME": "auth-api-prod"})

    assert settings.metrics == "emf"
    assert settings.service_name == "auth-api-prod"


@pytest.mark.parametrize("tracer", ["none", "xray", "otel"])
def test_the_tracer_is_chosen_by_tracer(tracer: str) -> None:
    assert settings_with(TRACER=tracer).tracer == tracer


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRACER", "jaeger"),
        ("METRICS", "statsd"),
        ("METRICS_NAMESPACE", "AWS/Lambda"),
        ("METRICS_NAMESPACE", "bad\nnamespace"),
        ("SERVICE_NAME", "has spaces"),
        ("OTEL_TRACES_EXPORTER", "zipkin"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318"),
    ],
)
def test_bad_observability_settings_are_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{name}: "):
        settings_with(**{name: value})


def test_the_otel_exporter_and_endpoint_are_read_from_the_standard_variables() -> None:
    settings = settings_with(
        OTEL_TRACES_EXPORTER="console", OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318"
    )

    assert (settings.otel_exporter, settings.otel_endpoint) == ("console", "http://collector:4318")
