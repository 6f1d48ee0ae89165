"""Test doubles that are real implementations of the ports (fakes, not mocks)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class SequentialIds:
    """Predictable ids and secrets (secrets stay long and unique, as the port requires)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"id{next(self._counter):06d}"

    def new_secret(self) -> str:
        return f"secret-{next(self._counter):06d}-" + "x" * 40


class PlainPasswordHasher:
    """A fast, deterministic stand-in for argon2 in use-case tests (never in production).

    `weak` hashes report `needs_rehash`, to exercise the upgrade-on-sign-in rule.
    """

    def __init__(self) -> None:
        self.verifications = 0
        self.dummy_verifications = 0

    async def hash(self, password: str) -> str:
        return "plain$" + password

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return password_hash.split("$", 1)[1] == password

    async def verify_dummy(self, password: str) -> None:
        self.dummy_verifications += 1

    def needs_rehash(self, password_hash: str) -> bool:
        return password_hash.startswith("weak$")
