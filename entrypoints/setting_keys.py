"""Settings that are key material: the JWT secret, the identifier HMAC key and the keys
of secrets at rest. Each is required outside local runs, where nothing may fall back
to a key made up per process."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from adapters.security.jwt_tokens import MIN_HS256_SECRET_BYTES
from adapters.security.pseudonyms import MIN_KEY_BYTES as MIN_IDENTIFIER_KEY_BYTES
from entrypoints.setting_values import SettingsError, read, secret_problem

# A KMS key's ARN (not an alias: values name the key that wrapped them, for good).
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$")
GENERATE = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"


def jwt_secret(env: Mapping[str, str], algorithm: str, local: bool) -> str:
    if algorithm != "HS256":
        return env.get("JWT_SECRET", "")
    # Local runs get a fresh random secret: tokens die with the process, which is fine.
    return _secret(env, "JWT_SECRET", MIN_HS256_SECRET_BYTES, local)


def identifier_key(env: Mapping[str, str], local: bool) -> str:
    # Local runs: throttle counters and audit pseudonyms start afresh with the process.
    return _secret(
        env,
        "IDENTIFIER_HMAC_KEY",
        MIN_IDENTIFIER_KEY_BYTES,
        local,
        also=", or IDENTIFIER_HMAC_KEY_SECRET_ARN",
    )


def _secret(env: Mapping[str, str], name: str, minimum: int, local: bool, also: str = "") -> str:
    """A secret setting: required outside local runs (where a random one stands in for
    the process), at least `minimum` bytes, and outside local runs not a value that
    looks typed by hand (a placeholder, one repeated character)."""
    value = env.get(name, "")
    if not value:
        if not local:
            raise SettingsError(
                f"{name}: required outside local development (≥ {minimum} bytes{also})"
            )
        return secrets.token_urlsafe(48)
    if len(value.encode()) < minimum:
        raise SettingsError(f"{name}: must be at least {minimum} bytes (256 bits)")
    problem = None if local else secret_problem(value)
    if problem:
        raise SettingsError(f"{name}: {problem}, which a generated secret does not; {GENERATE}")
    return value


def secrets_at_rest(
    env: Mapping[str, str], environment: str, storage: str, data_dir: str
) -> dict[str, Any]:
    """Which keys seal secrets stored in MongoDB (the memory store keeps nothing at rest)."""
    kms_key_id = read(env, "KMS_KEY_ID", _kms_key_arn, "")
    if storage == "mongo" and not kms_key_id and environment not in {"local", "test"}:
        raise SettingsError(
            "KMS_KEY_ID: required outside APP_ENV=local/test with MongoDB storage "
            "(the ARN of the KMS key that wraps the keys of secrets at rest)"
        )
    none: tuple[str, ...] = ()
    return {
        "kms_key_id": kms_key_id,
        "kms_previous_key_ids": read(env, "KMS_PREVIOUS_KEY_IDS", _list(_kms_key_arn), none),
        "secrets_key_file": env.get("SECRETS_KEY_FILE") or os.path.join(data_dir, "secrets.key"),
        "secrets_previous_key_files": read(env, "SECRETS_PREVIOUS_KEY_FILES", _list(str), none),
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
