"""Keyed pseudonyms (HMAC-SHA256) for identifiers a client typed."""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 32


class HmacPseudonyms:
    """HMAC-SHA256 under a server-side key of at least 256 bits: without the key, a
    pseudonym cannot be matched against guessed addresses (a bare SHA-256 can)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the identifier key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def of(self, kind: str, value: str) -> str:
        # The kind is part of the message, so one value gets unrelated pseudonyms in
        # different uses; its length prefix keeps ("a", "bc") apart from ("ab", "c").
        prefix = kind.encode()
        message = b"%d:" % len(prefix) + prefix + value.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
