"""Every setting of the service, read from environment variables in one place.

See the configuration table in README.md. Bad values stop start-up with a message
naming the variable, never with a traceback deep inside a library.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from adapters.security.argon2_hasher import MIN_MEMORY_KIB, MIN_PARALLELISM, MIN_TIME_COST
from adapters.security.jwt_tokens import MIN_HS256_SECRET_BYTES
from adapters.security.pseudonyms import MIN_KEY_BYTES as MIN_IDENTIFIER_KEY_BYTES

T = TypeVar("T")

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
# A KMS key's ARN (not an alias: values name the key that wrapped them, for good).
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$")


class SettingsError(ValueError):
    """A configuration value is missing or invalid."""


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


def _get(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return raw

    return parse


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a positive, finite number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return parse


def _json_map(raw: str) -> dict[str, str]:
    value = json.loads(raw)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("must be a JSON object of kid to PEM string")
    return value


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not pattern.match(raw):
            raise ValueError(f"must be {what}, got {raw!r}")
        return raw

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _http_url(raw: str) -> str:
    if not re.match(r"^https?://[^/\s]+", raw):
        raise ValueError(f"must be an http(s) URL, got {raw!r}")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    d = Settings()
    environment = _get(env, "APP_ENV", _choice(ENVIRONMENTS), d.environment)
    mongodb_uri = env.get("MONGODB_URI", "")
    # A MongoDB URI selects MongoDB; tests default to memory; everything else to embedded.
    default_storage = "mongo" if mongodb_uri else "memory" if environment == "test" else "embedded"
    storage = _get(env, "APP_STORAGE", _choice(STORAGES), default_storage)
    if storage == "mongo" and not mongodb_uri:
        raise SettingsError("MONGODB_URI: required when APP_STORAGE=mongo")
    on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    algorithm = _get(env, "JWT_ALGORITHM", _choice(("HS256", "EdDSA")), d.jwt_algorithm)
    secret = env.get("JWT_SECRET", "")
    if algorithm == "HS256" and not secret:
        if environment not in {"local", "test"}:
            raise SettingsError("JWT_SECRET: required outside local development (≥ 32 bytes)")
        # Local runs get a fresh random secret: tokens die with the process, which is fine.
        secret = secrets.token_urlsafe(48)
    if algorithm == "HS256" and len(secret.encode()) < MIN_HS256_SECRET_BYTES:
        raise SettingsError(
            f"JWT_SECRET: must be at least {MIN_HS256_SECRET_BYTES} bytes (256 bits)"
        )
    settings = Settings(
        environment=environment,
        storage=storage,
        mongodb_uri=mongodb_uri,
        mongodb_driver=_get(env, "MONGODB_DRIVER", _choice(MONGODB_DRIVERS), d.mongodb_driver),
        mongodb_database=env.get("MONGODB_DATABASE", d.mongodb_database),
        mongodb_server_selection_timeout_ms=_get(
            env,
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS",
            _positive_int,
            d.mongodb_server_selection_timeout_ms,
        ),
        mongodb_timeout_ms=_get(env, "MONGODB_TIMEOUT_MS", _positive_int, d.mongodb_timeout_ms),
        # One Lambda instance serves one request at a time: a small pool is enough.
        mongodb_max_pool_size=_get(
            env, "MONGODB_MAX_POOL_SIZE", _positive_int, 2 if on_lambda else d.mongodb_max_pool_size
        ),
        data_dir=env.get("APP_DATA_DIR", d.data_dir),
        log_level=_get(
            env, "LOG_LEVEL", _choice(("DEBUG", "INFO", "WARNING", "ERROR")), d.log_level
        ),
        jwt_algorithm=algorithm,
        jwt_secret=secret,
        jwt_signing_kid=env.get("JWT_SIGNING_KID", ""),
        jwt_private_key=env.get("JWT_PRIVATE_KEY", ""),
        jwt_public_keys=_get(env, "JWT_PUBLIC_KEYS", _json_map, {}),
        jwt_issuer=_get(env, "JWT_ISSUER", str, d.jwt_issuer),
        jwt_audience=_get(env, "JWT_AUDIENCE", str, d.jwt_audience),
        access_token_ttl_seconds=_get(
            env, "ACCESS_TOKEN_TTL_SECONDS", _positive_int, d.access_token_ttl_seconds
        ),
        refresh_idle_ttl_seconds=_get(
            env, "REFRESH_IDLE_TTL_SECONDS", _positive_int, d.refresh_idle_ttl_seconds
        ),
        refresh_absolute_ttl_seconds=_get(
            env, "REFRESH_ABSOLUTE_TTL_SECONDS", _positive_int, d.refresh_absolute_ttl_seconds
        ),
        refresh_reuse_grace_seconds=_get(
            env, "REFRESH_REUSE_GRACE_SECONDS", _non_negative_int, d.refresh_reuse_grace_seconds
        ),
        password_min_length=_get(env, "PASSWORD_MIN_LENGTH", _positive_int, d.password_min_length),
        # Never below the OWASP floor that the hasher enforces.
        argon2_memory_kib=_get(
            env, "ARGON2_MEMORY_KIB", _at_least(MIN_MEMORY_KIB), d.argon2_memory_kib
        ),
        argon2_time_cost=_get(
            env, "ARGON2_TIME_COST", _at_least(MIN_TIME_COST), d.argon2_time_cost
        ),
        argon2_parallelism=_get(
            env, "ARGON2_PARALLELISM", _at_least(MIN_PARALLELISM), d.argon2_parallelism
        ),
        hasher_max_concurrency=_get(
            env, "HASHER_MAX_CONCURRENCY", _positive_int, d.hasher_max_concurrency
        ),
        hasher_queue_timeout_seconds=_get(
            env, "HASHER_QUEUE_TIMEOUT_SECONDS", _positive_float, d.hasher_queue_timeout_seconds
        ),
        sign_in_free_attempts_per_account=_get(
            env,
            "SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT",
            _positive_int,
            d.sign_in_free_attempts_per_account,
        ),
        sign_in_free_attempts_per_ip=_get(
            env, "SIGN_IN_FREE_ATTEMPTS_PER_IP", _positive_int, d.sign_in_free_attempts_per_ip
        ),
        sign_in_window_seconds=_get(
            env, "SIGN_IN_WINDOW_SECONDS", _positive_int, d.sign_in_window_seconds
        ),
        tracer=_get(env, "TRACER", _choice(TRACERS), d.tracer),
        client_ip_header=_get(env, "CLIENT_IP_HEADER", str.lower, d.client_ip_header),
        # EMF lines are CloudWatch's input on Lambda; elsewhere they would only be noise.
        metrics=_get(env, "METRICS", _choice(METRICS), "emf" if on_lambda else d.metrics),
        metrics_namespace=_get(
            env,
            "METRICS_NAMESPACE",
            _matching(NAMESPACE, "a CloudWatch namespace (not starting with AWS/)"),
            d.metrics_namespace,
        ),
        service_name=_get(
            env,
            "SERVICE_NAME",
            _matching(SERVICE_NAME, "1-128 letters, digits, '.', '_' or '-'"),
            env.get("AWS_LAMBDA_FUNCTION_NAME") or d.service_name,
        ),
        otel_exporter=_get(env, "OTEL_TRACES_EXPORTER", _choice(OTEL_EXPORTERS), d.otel_exporter),
        otel_endpoint=_get(env, "OTEL_EXPORTER_OTLP_ENDPOINT", _http_url, d.otel_endpoint),
        **_lifecycle(env, environment, d),
        **_secrets_at_rest(env, environment, storage, env.get("APP_DATA_DIR", d.data_dir)),
    )
    if settings.refresh_absolute_ttl_seconds < settings.refresh_idle_ttl_seconds:
        raise SettingsError(
            "REFRESH_ABSOLUTE_TTL_SECONDS: must not be below REFRESH_IDLE_TTL_SECONDS"
        )
    return settings


def _lifecycle(env: Mapping[str, str], environment: str, d: Settings) -> dict[str, Any]:
    """Email, verification, reset, two-factor and audit settings."""
    local = environment in {"local", "test"}
    # Outside local runs a link printed to the log would put live tokens in CloudWatch.
    backend = _get(env, "EMAIL_BACKEND", _choice(EMAIL_BACKENDS), "console" if local else "ses")
    email_from = env.get("EMAIL_FROM", "").strip()
    if backend == "ses" and not email_from:
        raise SettingsError("EMAIL_FROM: required with EMAIL_BACKEND=ses (a verified SES identity)")
    if backend == "console" and not local:
        raise SettingsError(
            "EMAIL_BACKEND: console prints live tokens; use ses outside APP_ENV=local/test"
        )
    return {
        "product_name": _get(env, "PRODUCT_NAME", str.strip, d.product_name) or d.product_name,
        "public_base_url": _get(env, "PUBLIC_BASE_URL", _http_url, d.public_base_url),
        "email_backend": backend,
        "email_from": email_from,
        "ses_configuration_set": env.get("SES_CONFIGURATION_SET", "").strip(),
        "require_verified_email": _get(
            env, "REQUIRE_VERIFIED_EMAIL", _bool, d.require_verified_email
        ),
        "email_verification_ttl_seconds": _get(
            env,
            "EMAIL_VERIFICATION_TTL_SECONDS",
            _positive_int,
            d.email_verification_ttl_seconds,
        ),
        "password_reset_ttl_seconds": _get(
            env, "PASSWORD_RESET_TTL_SECONDS", _positive_int, d.password_reset_ttl_seconds
        ),
        "two_factor_challenge_ttl_seconds": _get(
            env,
            "TWO_FACTOR_CHALLENGE_TTL_SECONDS",
            _positive_int,
            d.two_factor_challenge_ttl_seconds,
        ),
        "email_link_min_response_ms": _get(
            env, "EMAIL_LINK_MIN_RESPONSE_MS", _non_negative_int, d.email_link_min_response_ms
        ),
        "audit_retention_days": _get(
            env, "AUDIT_RETENTION_DAYS", _positive_int, d.audit_retention_days
        ),
        "sign_ups_per_client_per_hour": _get(
            env, "SIGN_UPS_PER_CLIENT_PER_HOUR", _positive_int, d.sign_ups_per_client_per_hour
        ),
        "emails_per_address_per_hour": _get(
            env, "EMAILS_PER_ADDRESS_PER_HOUR", _positive_int, d.emails_per_address_per_hour
        ),
        "emails_per_account_per_hour": _get(
            env, "EMAILS_PER_ACCOUNT_PER_HOUR", _positive_int, d.emails_per_account_per_hour
        ),
        "identifier_hmac_key": _identifier_key(env, local),
    }


def _identifier_key(env: Mapping[str, str], local: bool) -> str:
    key = env.get("IDENTIFIER_HMAC_KEY", "")
    if not key:
        if not local:
            raise SettingsError(
                "IDENTIFIER_HMAC_KEY: required outside local development "
                f"(≥ {MIN_IDENTIFIER_KEY_BYTES} bytes, or IDENTIFIER_HMAC_KEY_SECRET_ARN)"
            )
        # Local runs: throttle counters and audit pseudonyms start afresh with the process.
        return secrets.token_urlsafe(48)
    if len(key.encode()) < MIN_IDENTIFIER_KEY_BYTES:
        raise SettingsError(
            f"IDENTIFIER_HMAC_KEY: must be at least {MIN_IDENTIFIER_KEY_BYTES} bytes (256 bits)"
        )
    return key


def _secrets_at_rest(
    env: Mapping[str, str], environment: str, storage: str, data_dir: str
) -> dict[str, Any]:
    """Which keys seal secrets stored in MongoDB (the memory store keeps nothing at rest)."""
    kms_key_id = _get(env, "KMS_KEY_ID", _kms_key_arn, "")
    if storage == "mongo" and not kms_key_id and environment not in {"local", "test"}:
        raise SettingsError(
            "KMS_KEY_ID: required outside APP_ENV=local/test with MongoDB storage "
            "(the ARN of the KMS key that wraps the keys of secrets at rest)"
        )
    none: tuple[str, ...] = ()
    return {
        "kms_key_id": kms_key_id,
        "kms_previous_key_ids": _get(env, "KMS_PREVIOUS_KEY_IDS", _list(_kms_key_arn), none),
        "secrets_key_file": env.get("SECRETS_KEY_FILE") or os.path.join(data_dir, "secrets.key"),
        "secrets_previous_key_files": _get(env, "SECRETS_PREVIOUS_KEY_FILES", _list(str), none),
    }


def _kms_key_arn(raw: str) -> str:
    if not KMS_KEY_ARN.match(raw):
        raise ValueError(
            f"must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got {raw!r}"
        )
    return raw


def _list(parse: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    """Comma-separated values, each parsed by `parse`."""

    def parse_all(raw: str) -> tuple[str, ...]:
        return tuple(parse(item.strip()) for item in raw.split(",") if item.strip())

    return parse_all
