"""Every setting of the service, read from environment variables in one place.

See the configuration table in README.md. Bad values stop start-up with a message
naming the variable, never with a traceback deep inside a library.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.security.argon2_hasher import MIN_MEMORY_KIB, MIN_PARALLELISM, MIN_TIME_COST
from domain.passwords import ABSOLUTE_MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH
from entrypoints.setting_keys import identifier_key, jwt_secret, secrets_at_rest
from entrypoints.setting_values import (
    SettingsError,
    base_url,
    boolean,
    choice,
    http_url,
    json_map,
    matching,
    mongodb_connection_string,
    printable,
    ranged,
    ranged_float,
    read,
    sender,
)

__all__ = ["Settings", "SettingsError", "load_settings"]

ENVIRONMENTS = ("local", "test", "dev", "prod")
STORAGES = ("embedded", "memory", "mongo")
MONGODB_DRIVERS = ("pymongo", "motor")
TRACERS = ("none", "xray", "otel")
METRICS = ("none", "emf")
OTEL_EXPORTERS = ("otlp", "console", "none")
EMAIL_BACKENDS = ("console", "ses")
# CloudWatch namespaces: these characters, and never AWS's own `AWS/` prefix.
NAMESPACE = re.compile(r"^(?!AWS/)[A-Za-z0-9 ._/#:-]{1,255}$")
SERVICE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# MongoDB forbids /\. "$*<>:|? and spaces in database names, and 64 bytes or more.
DATABASE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
# An HTTP header name (RFC 9110 token).
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$")
SES_CONFIGURATION_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DAY = 86400
# Reasons for the ranges below, quoted in the error messages.
STORE_TIMEOUT = "under 0.1 s a healthy server looks down; past 30 s API Gateway gives up first"
TOKEN_TTL = "shorter tokens expire in flight; a revoked session's token lives this long"
LINK_TTL = "mail can take minutes to arrive, and the email states the validity in minutes"
HOURLY_LIMIT = "at least one an hour; past the maximum the limit protects nothing"


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str = "local"
    storage: str = "embedded"
    mongodb_uri: str = field(default="", repr=False)
    mongodb_driver: str = "pymongo"
    mongodb_database: str = "serverless_auth"
    mongodb_server_selection_timeout_ms: int = 1500
    # PyMongo overshoots a dead server by up to ~0.5 s: 2 s keeps 503s within 3 s.
    mongodb_timeout_ms: int = 2000
    mongodb_max_pool_size: int = 10
    data_dir: str = ".data"
    log_level: str = "INFO"
    jwt_algorithm: str = "HS256"
    jwt_secret: str = field(default="", repr=False)
    jwt_signing_kid: str = ""
    jwt_private_key: str = field(default="", repr=False)
    jwt_public_keys: dict[str, str] = field(default_factory=dict)
    jwt_issuer: str = "serverless-auth"
    jwt_audience: str = "serverless-auth-api"
    access_token_ttl_seconds: int = 900
    refresh_idle_ttl_seconds: int = 14 * 86400
    refresh_absolute_ttl_seconds: int = 30 * 86400
    refresh_reuse_grace_seconds: int = 5
    password_min_length: int = 15
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    hasher_max_concurrency: int = 4
    hasher_queue_timeout_seconds: float = 2.0
    sign_in_free_attempts_per_account: int = 5
    sign_in_free_attempts_per_ip: int = 50
    sign_in_window_seconds: int = 900
    max_body_bytes: int = 64 * 1024
    # A header carrying the real client address, set by a proxy the app can trust (the
    # CloudFront Function of infra/, guarded by the WAF origin token). Empty: the peer.
    client_ip_header: str = ""
    tracer: str = "none"
    metrics: str = "none"
    metrics_namespace: str = "ServerlessAuth"
    service_name: str = "serverless-auth"
    otel_exporter: str = "otlp"
    otel_endpoint: str = "http://localhost:4318"
    # Account lifecycle (README, "Account lifecycle").
    product_name: str = "Serverless Auth"
    # Where the frontend is served: the base of the links in emails.
    public_base_url: str = "http://127.0.0.1:8000"
    # console: print the email to the terminal (local); ses: send with Amazon SES.
    email_backend: str = "console"
    email_from: str = ""
    ses_configuration_set: str = ""
    require_verified_email: bool = False
    email_verification_ttl_seconds: int = 24 * 3600
    password_reset_ttl_seconds: int = 3600
    two_factor_challenge_ttl_seconds: int = 300
    email_link_min_response_ms: int = 300
    audit_retention_days: int = 365
    # Abuse limits per hour (README, "Security in short").
    sign_ups_per_client_per_hour: int = 20
    emails_per_address_per_hour: int = 5
    emails_per_account_per_hour: int = 10
    # The HMAC key of stored identifiers of what clients typed (throttle keys, the audit
    # subject of unknown accounts). Local runs get a random one per process.
    identifier_hmac_key: str = field(default="", repr=False)
    # Secrets at rest (README, "Security in short"): the KMS key that wraps data keys, or
    # else the local key file; previous keys only open values sealed before a rotation.
    kms_key_id: str = ""
    kms_previous_key_ids: tuple[str, ...] = ()
    secrets_key_file: str = ""
    secrets_previous_key_files: tuple[str, ...] = ()

    @property
    def is_local(self) -> bool:
        return self.environment in {"local", "test"}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    d = Settings()
    on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    environment = _environment(env, on_lambda, d)
    local = environment in {"local", "test"}
    mongodb_uri = read(env, "MONGODB_URI", mongodb_connection_string, "")
    # A MongoDB URI selects MongoDB; tests default to memory; everything else to embedded.
    default_storage = "mongo" if mongodb_uri else "memory" if environment == "test" else "embedded"
    storage = read(env, "APP_STORAGE", choice(STORAGES), default_storage)
    if storage == "mongo" and not mongodb_uri:
        raise SettingsError("MONGODB_URI: required when APP_STORAGE=mongo")
    if storage == "embedded" and on_lambda:
        raise SettingsError("APP_STORAGE: embedded runs under `app serve`; set MONGODB_URI")
    algorithm = read(env, "JWT_ALGORITHM", choice(("HS256", "EdDSA")), d.jwt_algorithm)
    settings = Settings(
        environment=environment,
        storage=storage,
        mongodb_uri=mongodb_uri,
        mongodb_driver=read(env, "MONGODB_DRIVER", choice(MONGODB_DRIVERS), d.mongodb_driver),
        mongodb_database=read(
            env,
            "MONGODB_DATABASE",
            matching(DATABASE_NAME, "1-63 letters, digits, '_' or '-'"),
            d.mongodb_database,
        ),
        mongodb_server_selection_timeout_ms=read(
            env,
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS",
            ranged(100, 30_000, STORE_TIMEOUT),
            d.mongodb_server_selection_timeout_ms,
        ),
        mongodb_timeout_ms=read(
            env, "MONGODB_TIMEOUT_MS", ranged(100, 30_000, STORE_TIMEOUT), d.mongodb_timeout_ms
        ),
        # One Lambda instance serves one request at a time: a small pool is enough.
        mongodb_max_pool_size=read(
            env,
            "MONGODB_MAX_POOL_SIZE",
            ranged(1, 500, "more connections than a MongoDB tier accepts"),
            2 if on_lambda else d.mongodb_max_pool_size,
        ),
        data_dir=read(env, "APP_DATA_DIR", printable(4096), d.data_dir),
        log_level=read(
            env, "LOG_LEVEL", choice(("DEBUG", "INFO", "WARNING", "ERROR")), d.log_level
        ),
        jwt_algorithm=algorithm,
        jwt_secret=jwt_secret(env, algorithm, local),
        jwt_signing_kid=env.get("JWT_SIGNING_KID", ""),
        jwt_private_key=env.get("JWT_PRIVATE_KEY", ""),
        jwt_public_keys=read(env, "JWT_PUBLIC_KEYS", json_map, {}),
        jwt_issuer=read(env, "JWT_ISSUER", printable(256), d.jwt_issuer),
        jwt_audience=read(env, "JWT_AUDIENCE", printable(256), d.jwt_audience),
        access_token_ttl_seconds=read(
            env, "ACCESS_TOKEN_TTL_SECONDS", ranged(10, DAY, TOKEN_TTL), d.access_token_ttl_seconds
        ),
        **_sessions(env, d),
        **_passwords(env, d),
        client_ip_header=read(
            env,
            "CLIENT_IP_HEADER",
            lambda raw: matching(HEADER_NAME, "an HTTP header name")(raw.lower()),
            d.client_ip_header,
        ),
        **_observability(env, on_lambda, d),
        **_lifecycle(env, environment, d),
        **secrets_at_rest(env, environment, storage, env.get("APP_DATA_DIR", d.data_dir)),
    )
    kid = settings.jwt_signing_kid
    if algorithm == "EdDSA" and not (
        kid and settings.jwt_private_key and kid in settings.jwt_public_keys
    ):
        raise SettingsError(
            "JWT_ALGORITHM: EdDSA needs JWT_SIGNING_KID, JWT_PRIVATE_KEY, and that kid's "
            "public key in JWT_PUBLIC_KEYS"
        )
    if settings.refresh_absolute_ttl_seconds < settings.refresh_idle_ttl_seconds:
        raise SettingsError(
            "REFRESH_ABSOLUTE_TTL_SECONDS: must not be below REFRESH_IDLE_TTL_SECONDS"
        )
    return settings


def _environment(env: Mapping[str, str], on_lambda: bool, d: Settings) -> str:
    """APP_ENV; on AWS Lambda it must be set, and not to local or test: those generate a
    JWT secret per container and print emails (with live tokens) to the log."""
    environment = read(env, "APP_ENV", choice(ENVIRONMENTS), "")
    if on_lambda and environment not in {"dev", "prod"}:
        found = repr(environment) if environment else "unset"
        raise SettingsError(f"APP_ENV: must be dev or prod on AWS Lambda, found {found}")
    return environment or d.environment


def _sessions(env: Mapping[str, str], d: Settings) -> dict[str, Any]:
    """Refresh-token lifetimes and sign-in throttling."""
    refresh = "at least 5 minutes, at most a year"
    return {
        "refresh_idle_ttl_seconds": read(
            env,
            "REFRESH_IDLE_TTL_SECONDS",
            ranged(300, 365 * DAY, refresh),
            d.refresh_idle_ttl_seconds,
        ),
        "refresh_absolute_ttl_seconds": read(
            env,
            "REFRESH_ABSOLUTE_TTL_SECONDS",
            ranged(300, 365 * DAY, refresh),
            d.refresh_absolute_ttl_seconds,
        ),
        "refresh_reuse_grace_seconds": read(
            env,
            "REFRESH_REUSE_GRACE_SECONDS",
            ranged(0, 60, "a longer grace lets a stolen refresh token be replayed unnoticed"),
            d.refresh_reuse_grace_seconds,
        ),
        "sign_in_free_attempts_per_account": read(
            env,
            "SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT",
            ranged(1, 10**9, "at least one try; a billion is throttling off, for load tests"),
            d.sign_in_free_attempts_per_account,
        ),
        "sign_in_free_attempts_per_ip": read(
            env,
            "SIGN_IN_FREE_ATTEMPTS_PER_IP",
            ranged(1, 10**9, "at least one try; a billion is throttling off, for load tests"),
            d.sign_in_free_attempts_per_ip,
        ),
        "sign_in_window_seconds": read(
            env,
            "SIGN_IN_WINDOW_SECONDS",
            ranged(60, 7 * DAY, "a minute to a week of remembered failures"),
            d.sign_in_window_seconds,
        ),
    }


def _passwords(env: Mapping[str, str], d: Settings) -> dict[str, Any]:
    """The password policy and the hasher: never below the NIST and OWASP floors, and
    never so costly that a sign-in cannot hash in time on a Lambda."""
    return {
        "password_min_length": read(
            env,
            "PASSWORD_MIN_LENGTH",
            ranged(
                ABSOLUTE_MIN_PASSWORD_LENGTH,
                MAX_PASSWORD_LENGTH // 2,
                "NIST SP 800-63B-4's floor; the maximum password is 128",
            ),
            d.password_min_length,
        ),
        "argon2_memory_kib": read(
            env,
            "ARGON2_MEMORY_KIB",
            ranged(MIN_MEMORY_KIB, 1024 * 1024, "OWASP's floor; 1 GiB per hash at most"),
            d.argon2_memory_kib,
        ),
        "argon2_time_cost": read(
            env,
            "ARGON2_TIME_COST",
            ranged(MIN_TIME_COST, 20, "OWASP's floor; more passes stall sign-in"),
            d.argon2_time_cost,
        ),
        "argon2_parallelism": read(
            env,
            "ARGON2_PARALLELISM",
            ranged(MIN_PARALLELISM, 16, "lanes beyond the cores only cost memory"),
            d.argon2_parallelism,
        ),
        "hasher_max_concurrency": read(
            env,
            "HASHER_MAX_CONCURRENCY",
            ranged(1, 64, "each hash in flight holds ARGON2_MEMORY_KIB"),
            d.hasher_max_concurrency,
        ),
        "hasher_queue_timeout_seconds": read(
            env,
            "HASHER_QUEUE_TIMEOUT_SECONDS",
            ranged_float(0.01, 120.0, "a request queued longer has long been given up on"),
            d.hasher_queue_timeout_seconds,
        ),
    }


def _observability(env: Mapping[str, str], on_lambda: bool, d: Settings) -> dict[str, Any]:
    return {
        "tracer": read(env, "TRACER", choice(TRACERS), d.tracer),
        # EMF lines are CloudWatch's input on Lambda; elsewhere they would only be noise.
        "metrics": read(env, "METRICS", choice(METRICS), "emf" if on_lambda else d.metrics),
        "metrics_namespace": read(
            env,
            "METRICS_NAMESPACE",
            matching(NAMESPACE, "a CloudWatch namespace (not starting with AWS/)"),
            d.metrics_namespace,
        ),
        "service_name": read(
            env,
            "SERVICE_NAME",
            matching(SERVICE_NAME, "1-128 letters, digits, '.', '_' or '-'"),
            env.get("AWS_LAMBDA_FUNCTION_NAME") or d.service_name,
        ),
        "otel_exporter": read(env, "OTEL_TRACES_EXPORTER", choice(OTEL_EXPORTERS), d.otel_exporter),
        "otel_endpoint": read(env, "OTEL_EXPORTER_OTLP_ENDPOINT", http_url, d.otel_endpoint),
    }


def _lifecycle(env: Mapping[str, str], environment: str, d: Settings) -> dict[str, Any]:
    """Email, verification, reset, two-factor and audit settings."""
    local = environment in {"local", "test"}
    # Outside local runs a link printed to the log would put live tokens in CloudWatch.
    backend = read(env, "EMAIL_BACKEND", choice(EMAIL_BACKENDS), "console" if local else "ses")
    email_from = read(env, "EMAIL_FROM", sender, "")
    if backend == "ses" and not email_from:
        raise SettingsError("EMAIL_FROM: required with EMAIL_BACKEND=ses (a verified SES identity)")
    if backend == "console" and not local:
        raise SettingsError(
            "EMAIL_BACKEND: console prints live tokens; use ses outside APP_ENV=local/test"
        )
    return {
        "product_name": read(env, "PRODUCT_NAME", printable(100), d.product_name),
        "public_base_url": read(
            env, "PUBLIC_BASE_URL", base_url(https_only=not local), d.public_base_url
        ),
        "email_backend": backend,
        "email_from": email_from,
        "ses_configuration_set": read(
            env,
            "SES_CONFIGURATION_SET",
            matching(SES_CONFIGURATION_SET, "1-64 letters, digits, '_' or '-'"),
            "",
        ),
        "require_verified_email": read(
            env, "REQUIRE_VERIFIED_EMAIL", boolean, d.require_verified_email
        ),
        "email_verification_ttl_seconds": read(
            env,
            "EMAIL_VERIFICATION_TTL_SECONDS",
            ranged(300, 30 * DAY, LINK_TTL),
            d.email_verification_ttl_seconds,
        ),
        "password_reset_ttl_seconds": read(
            env,
            "PASSWORD_RESET_TTL_SECONDS",
            ranged(300, DAY, LINK_TTL + "; a reset link is as good as the password for a day"),
            d.password_reset_ttl_seconds,
        ),
        "two_factor_challenge_ttl_seconds": read(
            env,
            "TWO_FACTOR_CHALLENGE_TTL_SECONDS",
            ranged(60, 1800, "time to open the app and type a code, not a standing pass"),
            d.two_factor_challenge_ttl_seconds,
        ),
        "email_link_min_response_ms": read(
            env,
            "EMAIL_LINK_MIN_RESPONSE_MS",
            ranged(0, 10_000, "a floor above the real work, well within API Gateway's 29 s"),
            d.email_link_min_response_ms,
        ),
        "audit_retention_days": read(
            env,
            "AUDIT_RETENTION_DAYS",
            ranged(1, 3650, "a day to ten years"),
            d.audit_retention_days,
        ),
        "sign_ups_per_client_per_hour": read(
            env,
            "SIGN_UPS_PER_CLIENT_PER_HOUR",
            ranged(1, 100_000, HOURLY_LIMIT),
            d.sign_ups_per_client_per_hour,
        ),
        "emails_per_address_per_hour": read(
            env,
            "EMAILS_PER_ADDRESS_PER_HOUR",
            ranged(1, 1_000, HOURLY_LIMIT),
            d.emails_per_address_per_hour,
        ),
        "emails_per_account_per_hour": read(
            env,
            "EMAILS_PER_ACCOUNT_PER_HOUR",
            ranged(1, 1_000, HOURLY_LIMIT),
            d.emails_per_account_per_hour,
        ),
        "identifier_hmac_key": identifier_key(env, local),
    }
