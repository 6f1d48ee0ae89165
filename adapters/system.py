"""The real clock and identifier sources."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        # MongoDB stores milliseconds: truncate here so a timestamp reads back equal
        # from every store (cursors and comparisons rely on it).
        now = datetime.now(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


class RandomIdGenerator:
    """UUIDv4 ids (opaque to clients) and 256-bit URL-safe secrets."""

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)
