"""Secrets at rest: envelope encryption with AES-256-GCM.

A process (a Lambda container) makes one 256-bit data key on its first seal and keeps
it; a key wrapper (KMS on AWS, a local key file otherwise) encrypts that data key, and
every sealed value carries the wrapped data key and the id of the wrapping key:

    v1.<wrapping key id>.<b64url wrapped data key>.<b64url 96-bit nonce + ciphertext>

The associated data is everything before the last dot plus the caller's context (for
example the user id and the field name): a value copied to another user or field, or
with any part of its header changed, fails to open. Opening unwraps each data key once
per process (cached by its wrapped form), so a container calls KMS at most once per
data key it meets. Values sealed under a previous wrapping key still open as long as
that key is listed, and report `stale` so the caller can seal them again.

Random 96-bit nonces stay far below NIST's 2^32 messages per key: one data key seals
only what one process writes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
# Key ids sit between dots: KMS key ARNs and `local-<hex>` never contain one.
KEY_ID = re.compile(r"^[A-Za-z0-9:/_-]{1,256}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")

log = logging.getLogger("adapters.security.sealing")


@dataclass(frozen=True, slots=True)
class DataKey:
    plaintext: bytes = field(repr=False)
    wrapped: bytes


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys under one key-encryption key."""

    async def key_id(self) -> str:
        """The stable id written beside each value sealed under this key."""

    async def new_data_key(self) -> DataKey:
        """A fresh random 256-bit data key, with its wrapped form."""

    async def unwrap(self, wrapped: bytes) -> bytes:
        """The data key inside `wrapped`; `SecretUnreadableError` if it is not ours."""


class SealingError(Exception):
    """A secret could not be sealed or opened; the message never holds a value."""


class SecretUnreadableError(SealingError):
    """The stored value is malformed, tampered with, bound to another context, or
    sealed under a key that is not configured."""


class KeyServiceError(SealingError):
    """The key service (KMS, the key file) failed; the message is an error code."""


@dataclass(frozen=True, slots=True)
class Opened:
    plaintext: str = field(repr=False)
    # Sealed under a previous key: seal it again under the current one.
    stale: bool


class EnvelopeSealer:
    """Seals under `current`; opens what `current` or any of `previous` wrapped."""

    def __init__(
        self, current: KeyWrapper, previous: Sequence[KeyWrapper] = (), cache_size: int = 1024
    ) -> None:
        self._current = current
        self._previous = tuple(previous)
        self._cache_size = cache_size
        self._data_key: tuple[str, DataKey] | None = None
        self._data_key_lock: asyncio.Lock | None = None
        # Unwrapped data keys by (key id, wrapped form), least recently used first.
        self._unwrapped: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self._unwrapping: dict[tuple[str, bytes], asyncio.Task[bytes]] = {}

    async def seal(self, plaintext: str, context: str) -> str:
        key_id, data_key = await self._current_data_key()
        header = f"{VERSION}.{key_id}.{_encode(data_key.wrapped)}"
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(data_key.plaintext).encrypt(
            nonce, plaintext.encode(), _associated(header, context)
        )
        return f"{header}.{_encode(nonce + ciphertext)}"

    async def open(self, sealed: str, context: str) -> Opened:
        header, _, body = sealed.rpartition(".")
        parts = header.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise SecretUnreadableError("unknown format")
        _, key_id, wrapped_text = parts
        wrapped, payload = _decode(wrapped_text), _decode(body)
        if len(payload) <= NONCE_BYTES:
            raise SecretUnreadableError("truncated")
        wrapper = await self._wrapper(key_id)
        data_key = await self._unwrap(wrapper, key_id, wrapped)
        try:
            plaintext = AESGCM(data_key).decrypt(
                payload[:NONCE_BYTES], payload[NONCE_BYTES:], _associated(header, context)
            )
        except InvalidTag:
            raise SecretUnreadableError("authentication failed") from None
        return Opened(plaintext.decode(), stale=wrapper is not self._current)

    async def _current_data_key(self) -> tuple[str, DataKey]:
        if self._data_key is None:
            if self._data_key_lock is None:
                self._data_key_lock = asyncio.Lock()
            async with self._data_key_lock:
                if self._data_key is None:
                    key_id = await self._current.key_id()
                    data_key = await self._current.new_data_key()
                    # Values this process seals open without asking the wrapper.
                    self._remember((key_id, data_key.wrapped), data_key.plaintext)
                    self._data_key = (key_id, data_key)
        return self._data_key

    async def _wrapper(self, key_id: str) -> KeyWrapper:
        if await self._current.key_id() == key_id:
            return self._current
        for wrapper in self._previous:
            try:
                if await wrapper.key_id() == key_id:
                    return wrapper
            except KeyServiceError as exc:
                # One unusable previous key must not make values under the others unreadable.
                log.error("previous_key_unavailable", extra={"error": str(exc)})
        raise SecretUnreadableError("sealed under a key that is not configured")

    async def _unwrap(self, wrapper: KeyWrapper, key_id: str, wrapped: bytes) -> bytes:
        slot = (key_id, wrapped)
        known = self._unwrapped.get(slot)
        if known is not None:
            self._unwrapped.move_to_end(slot)
            return known
        # Concurrent first reads of one data key share one call to the wrapper; the call
        # runs as its own task, so a cancelled request does not cancel it for the others.
        task = self._unwrapping.get(slot)
        if task is None:
            task = asyncio.ensure_future(self._fetch(wrapper, slot))
            self._unwrapping[slot] = task
            task.add_done_callback(lambda done: self._forget_pending(slot, done))
        return await asyncio.shield(task)

    async def _fetch(self, wrapper: KeyWrapper, slot: tuple[str, bytes]) -> bytes:
        data_key = await wrapper.unwrap(slot[1])
        if len(data_key) != DATA_KEY_BYTES:
            raise SecretUnreadableError("data key of the wrong size")
        self._remember(slot, data_key)
        return data_key

    def _forget_pending(self, slot: tuple[str, bytes], done: asyncio.Task[bytes]) -> None:
        self._unwrapping.pop(slot, None)
        if not done.cancelled():
            done.exception()  # retrieved here, so a failure nobody awaited is not reported

    def _remember(self, slot: tuple[str, bytes], data_key: bytes) -> None:
        self._unwrapped[slot] = data_key
        self._unwrapped.move_to_end(slot)
        while len(self._unwrapped) > self._cache_size:
            self._unwrapped.popitem(last=False)


def _associated(header: str, context: str) -> bytes:
    # The header binds version, key id and wrapped key; NUL separates it from the context.
    return f"{header}\x00{context}".encode()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    """Strict unpadded base64url: one spelling per byte string."""
    if not _B64URL.match(text):
        raise SecretUnreadableError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SecretUnreadableError("not base64url") from None
    if _encode(raw) != text:
        raise SecretUnreadableError("not canonical base64url")
    return raw
