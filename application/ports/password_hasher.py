from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    """Slow, salted password hashing run off the event loop with bounded concurrency.

    Every method raises `ServiceBusyError` when the hasher is saturated.
    """

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    async def verify_dummy(self, password: str) -> None:
        """Spend the same work as `verify` for an unknown account (timing-equal sign-in)."""

    def needs_rehash(self, password_hash: str) -> bool: ...
