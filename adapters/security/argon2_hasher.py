"""argon2id password hashing off the event loop, with bounded concurrency."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.errors import ServiceBusyError

T = TypeVar("T")

# OWASP Password Storage Cheat Sheet floor for argon2id.
MIN_MEMORY_KIB = 19 * 1024
MIN_TIME_COST = 2
MIN_PARALLELISM = 1


@dataclass(frozen=True, slots=True)
class Argon2Params:
    memory_kib: int = MIN_MEMORY_KIB
    time_cost: int = MIN_TIME_COST
    parallelism: int = MIN_PARALLELISM

    def __post_init__(self) -> None:
        if (
            self.memory_kib < MIN_MEMORY_KIB
            or self.time_cost < MIN_TIME_COST
            or self.parallelism < MIN_PARALLELISM
        ):
            raise ValueError(
                "argon2id parameters below the OWASP floor "
                f"(memory {MIN_MEMORY_KIB} KiB, time cost {MIN_TIME_COST}, parallelism 1)"
            )


class Argon2PasswordHasher:
    """argon2-cffi releases the GIL while hashing, so worker threads run in parallel.

    At most `max_concurrency` hashes run at once (each needs `memory_kib` of RAM); a
    request that cannot start within `queue_timeout` seconds gets `ServiceBusyError`
    (503) instead of hanging.
    """

    def __init__(
        self, params: Argon2Params, max_concurrency: int = 4, queue_timeout: float = 2.0
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )
        self._executor = ThreadPoolExecutor(max_concurrency, thread_name_prefix="argon2")
        self._slots = asyncio.Semaphore(max_concurrency)
        self._queue_timeout = queue_timeout
        # A real hash with the current parameters, made at start-up so that signing in
        # with an unknown email costs exactly one verification, like a known one. Made
        # in the pool, so it does not delay the first request (Lambda cold start).
        self._dummy_hash = self._executor.submit(self._hasher.hash, secrets.token_urlsafe(32))
        self.in_flight = 0

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(self._verify_sync, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        dummy_hash = await asyncio.wrap_future(self._dummy_hash)
        await self._run(self._verify_sync, dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash is weaker than the current parameters (never to downgrade)."""
        try:
            stored = argon2.extract_parameters(password_hash)
        except (InvalidHashError, ValueError, UnicodeError):
            return True
        current = self._hasher
        return (
            stored.type is not argon2.Type.ID
            or stored.memory_cost < current.memory_cost
            or stored.time_cost < current.time_cost
            or stored.parallelism < current.parallelism
            or stored.hash_len < current.hash_len
            or stored.salt_len < current.salt_len
        )

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeError):
            # A corrupted stored hash fails the sign-in; it is not a server error.
            return False

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        try:
            await asyncio.wait_for(self._slots.acquire(), self._queue_timeout)
        except TimeoutError:
            raise ServiceBusyError(retry_after_seconds=1) from None
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, fn, *args)
        finally:
            self.in_flight -= 1
            self._slots.release()
