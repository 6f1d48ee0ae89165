from __future__ import annotations

from datetime import datetime
from typing import Protocol


class OneTimePasswords(Protocol):
    """TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, as authenticator apps expect)."""

    def new_secret(self) -> str:
        """A fresh base32 secret of at least 160 bits."""

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        """The `otpauth://totp/...` URI an authenticator app scans."""

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        """The time step whose code equals `code`, within one step of `now`; else None."""

    def new_backup_codes(self, count: int) -> list[str]:
        """`count` random single-use codes of at least 80 bits, easy to type."""
