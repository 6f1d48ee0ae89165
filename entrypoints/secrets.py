"""Secrets from AWS Secrets Manager, merged into the settings' environment at start-up.

The stack passes secret ARNs, never secret values: `JWT_SECRET_ARN`,
`MONGODB_URI_SECRET_ARN` and `IDENTIFIER_HMAC_KEY_SECRET_ARN`.
`with_secrets(os.environ)` returns the environment with the values filled in
(`JWT_SECRET`, `MONGODB_URI`, ...) for `load_settings`. A secret's string is either the
value itself or a JSON object of setting names, so one secret can carry a whole EdDSA
key set (`JWT_SIGNING_KID`, `JWT_PRIVATE_KEY`, `JWT_PUBLIC_KEYS`).
A value read from a secret wins over the same variable set directly.

Each secret is read once per process (a warm Lambda container reuses it); a new value
reaches new containers. botocore is imported only when an ARN is set: local runs and
tests without ARNs never pay its ~150 ms import. Errors name the variable and the AWS
error code, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.aws import error_code
from entrypoints.settings import SettingsError


@dataclass(frozen=True, slots=True)
class SecretSource:
    """Where one ARN's value goes: `plain` for a bare string, `keys` for a JSON object."""

    plain: str
    keys: frozenset[str]


SOURCES: dict[str, SecretSource] = {
    "JWT_SECRET_ARN": SecretSource(
        plain="JWT_SECRET",
        keys=frozenset({"JWT_SECRET", "JWT_SIGNING_KID", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEYS"}),
    ),
    "MONGODB_URI_SECRET_ARN": SecretSource(plain="MONGODB_URI", keys=frozenset({"MONGODB_URI"})),
    "IDENTIFIER_HMAC_KEY_SECRET_ARN": SecretSource(
        plain="IDENTIFIER_HMAC_KEY", keys=frozenset({"IDENTIFIER_HMAC_KEY"})
    ),
}

Fetch = Callable[[str], str]


class SecretReadError(Exception):
    """Secrets Manager did not return a usable string; the message is an error code."""


_cache: dict[str, str] = {}


def with_secrets(env: Mapping[str, str], fetch: Fetch | None = None) -> Mapping[str, str]:
    """`env` plus the values of the secrets its `*_SECRET_ARN` variables name."""
    arns = {name: env[name] for name in SOURCES if env.get(name)}
    if not arns:
        return env
    read = fetch or _cached(_secrets_manager_fetch())
    merged = dict(env)
    for name, arn in arns.items():
        try:
            secret = read(arn)
        except SecretReadError as exc:
            raise SettingsError(f"{name}: cannot read the secret ({exc})") from None
        merged.update(_values(name, SOURCES[name], secret))
    return merged


def _values(name: str, source: SecretSource, secret: str) -> dict[str, str]:
    try:
        document = json.loads(secret)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return {source.plain: secret}
    unknown = sorted(set(document) - source.keys)
    if unknown:
        raise SettingsError(f"{name}: unexpected keys {unknown}; allowed {sorted(source.keys)}")
    # Nested JSON (JWT_PUBLIC_KEYS) arrives as an object; settings parse it from a string.
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in document.items()}


def _cached(fetch: Fetch) -> Fetch:
    def read(arn: str) -> str:
        if arn not in _cache:
            _cache[arn] = fetch(arn)
        return _cache[arn]

    return read


def clear_cache() -> None:
    """Forget the values read so far (tests; a container never needs it)."""
    _cache.clear()


def _secrets_manager_fetch() -> Fetch:
    """A reader backed by botocore's Secrets Manager client (one per region, made lazily)."""
    clients: dict[str | None, Any] = {}

    def fetch(arn: str) -> str:
        region = _region(arn)
        if region not in clients:
            clients[region] = _client(region)
        try:
            response = clients[region].get_secret_value(SecretId=arn)
        except Exception as exc:  # botocore's errors; the message may quote the request
            raise SecretReadError(error_code(exc)) from None
        value = response.get("SecretString")
        if not isinstance(value, str) or not value:
            raise SecretReadError("no SecretString")
        return value

    return fetch


def _region(arn: str) -> str | None:
    # arn:aws:secretsmanager:<region>:<account>:secret:<name>; a bare name uses AWS_REGION.
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else None


def _client(region: str | None) -> Any:
    import botocore.config  # type: ignore[import-untyped]
    import botocore.session  # type: ignore[import-untyped]

    # Short timeouts: an init phase that hangs on a secret is worse than a clear failure.
    config = botocore.config.Config(
        connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"}
    )
    return botocore.session.get_session().create_client(
        "secretsmanager", region_name=region, config=config
    )
