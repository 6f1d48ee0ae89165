"""Parsers for setting values: each takes the raw string and returns the value or raises
`ValueError` with a message that completes "NAME: ..." (`read` adds the name and turns
it into a `SettingsError`).

Reusable for new settings: `ranged(low, high, why)` for any number with a reason for
its bounds, `printable(n)` for text that reaches headers or logs, `secret_problem` for
generated secrets, `base_url` for link origins.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

# A generated secret (48 random URL-safe characters) has ~30 different ones.
MIN_SECRET_DISTINCT_CHARACTERS = 10
PLACEHOLDER_WORDS = (
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "example",
    "placeholder",
    "your-secret",
    "yoursecret",
    "<",
    "...",
)


class SettingsError(ValueError):
    """A configuration value is missing or invalid. The message starts with the
    variable's name (`JWT_SECRET: ...`); `setting` is that name."""

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        named = re.match(r"[A-Z][A-Z0-9_]*(?=:)", message)
        self.setting = setting or (named.group() if named else "configuration")


def read(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    """`env[name]` parsed, or `default` when unset or empty; `SettingsError` naming the
    variable when `parse` refuses it."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return raw

    return parse


def ranged(low: int, high: int, why: str) -> Callable[[str], int]:
    """An integer in [low, high]; `why` says what the bounds protect, for the message."""

    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high} ({why}), got {value}")
        return value

    return parse


def ranged_float(low: float, high: float, why: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"must be a number between {low} and {high} ({why}), got {raw}")
        return value

    return parse


def printable(max_length: int) -> Callable[[str], str]:
    """Visible text of 1 to `max_length` characters without control characters (values
    that end up in email headers, log lines or tokens must not carry a CR or LF)."""

    def parse(raw: str) -> str:
        value = raw.strip()
        if not value or len(value) > max_length:
            raise ValueError(f"must be 1 to {max_length} characters")
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            raise ValueError("must not contain control characters")
        return value

    return parse


def secret_problem(value: str) -> str | None:
    """Why `value` looks like a placeholder rather than a generated secret, if it does:
    one character repeated, a short group repeated, too few different characters, or
    an example value from documentation."""
    if len(set(value)) < MIN_SECRET_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_SECRET_DISTINCT_CHARACTERS} different characters"
    for size in range(1, len(value) // 2 + 1):
        if (value[:size] * (len(value) // size + 1))[: len(value)] == value:
            return "repeats a short group of characters"
    folded = value.casefold()
    if any(word in folded for word in PLACEHOLDER_WORDS):
        return "contains a placeholder such as 'change-me' or 'example'"
    return None


def json_map(raw: str) -> dict[str, str]:
    value = json.loads(raw)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("must be a JSON object of kid to PEM string")
    return value


def matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not pattern.match(raw):
            raise ValueError(f"must be {what}, got {raw!r}")
        return raw

    return parse


def boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def http_url(raw: str) -> str:
    if not re.match(r"^https?://[^/\s]+", raw):
        raise ValueError(f"must be an http(s) URL, got {raw!r}")
    return raw


def base_url(https_only: bool) -> Callable[[str], str]:
    """An origin (and optional path) for links: http(s), a host, no credentials, query or
    fragment; https only outside local runs (links carry single-use tokens)."""

    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("must not contain credentials, a query or a fragment")
        if any(ch.isspace() for ch in raw):
            raise ValueError("must not contain whitespace")
        if https_only and parts.scheme != "https":
            raise ValueError("must be an https URL outside APP_ENV=local/test")
        return raw

    return parse


def mongodb_connection_string(raw: str) -> str:
    if not raw.startswith(("mongodb://", "mongodb+srv://")) or len(raw) <= len("mongodb://"):
        raise ValueError("must be a mongodb:// or mongodb+srv:// connection string")
    return raw


def sender(raw: str) -> str:
    """`address` or `Display Name <address>`, one line (it becomes a mail header)."""
    value = printable(320)(raw)
    address = value.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in value else value
    local, at, domain = address.rpartition("@")
    if not (at and local and "." in domain) or any(ch.isspace() for ch in address):
        raise ValueError(f"must be an address or 'Name <address>', got {raw!r}")
    return value
