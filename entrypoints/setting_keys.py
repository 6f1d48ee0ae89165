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
    secret = env.get("JWT_SECRET", "")
    if algorithm != "HS256":
        return secret
    if not secret:
        if not local:
            raise SettingsError("JWT_SECRET: required outside local development (≥ 32 bytes)")
        # Local runs get a fresh random secret: tokens die with the process, which is fine.
        return secrets.token_urlsafe(48)
    if len(secret.encode()) < MIN_HS256_SECRET_BYTES:
        raise SettingsError(
            f"JWT_SECRET: must be at least {MIN_HS256_SECRET_BYTES} bytes (256 bits)"
        )
    problem = None if local else secret_problem(secret)
    if problem:
        raise SettingsError(f"JWT_SECRET: {problem}, which a generated secret does not; {GENERATE}")
    return secret


def identifier_key(env: Mapping[str, str], local: bool) -> str:
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
    problem = None if local else secret_problem(key)
    if problem:
        raise SettingsError(f"IDENTIFIER_HMAC_KEY: {problem}; {GENERATE}")
    return key


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
