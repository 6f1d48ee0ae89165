"""A key-encryption key in a local file, for runs without KMS (`app serve`, tests).

The file (`<APP_DATA_DIR>/secrets.key` by default) holds 32 random bytes as base64url
text. It is made on first use, mode 0600 in a 0700 directory, and published with a hard
link so that two processes starting together agree on one key and never read a half
written file. Data keys are wrapped with AES key wrap (RFC 3394). The key id written
beside each value is a fingerprint of the key, so a replaced file is noticed as an
unknown key instead of failing as tampering.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from adapters.security.sealing import (
    DATA_KEY_BYTES,
    DataKey,
    KeyServiceError,
    SecretUnreadableError,
)

KEY_BYTES = 32


class LocalKeyWrapper:
    """Wraps data keys under the key in `key_file`, or under `key` when given (in memory)."""

    def __init__(
        self, key_file: Path | None = None, *, key: bytes | None = None, create: bool = True
    ) -> None:
        if (key_file is None) == (key is None):
            raise ValueError("give a key file or a key")
        if key is not None and len(key) != KEY_BYTES:
            raise ValueError(f"a local key is {KEY_BYTES} bytes")
        self._file = key_file
        self._create = create
        self._key = key

    @classmethod
    def ephemeral(cls) -> LocalKeyWrapper:
        """A random key that lives as long as the process (nothing it seals outlives it)."""
        return cls(key=secrets.token_bytes(KEY_BYTES))

    async def key_id(self) -> str:
        return _fingerprint(await self._kek())

    async def new_data_key(self) -> DataKey:
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        return DataKey(data_key, aes_key_wrap(await self._kek(), data_key))

    async def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(await self._kek(), wrapped)
        except (InvalidUnwrap, ValueError):
            raise SecretUnreadableError("data key does not unwrap") from None

    async def _kek(self) -> bytes:
        if self._key is None:
            self._key = await self._load()
        return self._key

    async def _load(self) -> bytes:
        path = self._file
        if path is None:  # the constructor makes this impossible; keeps mypy honest
            raise KeyServiceError("no key file")
        try:
            # File I/O once per process, off the event loop.
            return await asyncio.to_thread(_load_or_create, path, self._create)
        except OSError as exc:
            raise KeyServiceError(f"key file {path}: {type(exc).__name__}") from None


def _fingerprint(key: bytes) -> str:
    return "local-" + hashlib.sha256(b"serverless-auth key id\x00" + key).hexdigest()[:16]


def _load_or_create(path: Path, create: bool) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        if not create:
            raise KeyServiceError(f"key file {path} is missing") from None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        # Atomic, and fails if another process got there first: then its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & 0o077:
        # A key others could read protects nothing: take their access away.
        os.chmod(path, stat.S_IMODE(mode) & 0o600)
    try:
        key = base64.urlsafe_b64decode(path.read_bytes().strip())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyServiceError(f"key file {path} does not hold a {KEY_BYTES}-byte base64url key")
    return key
