"""Two-factor authentication: the TOTP factor (RFC 6238) and its backup codes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

BACKUP_CODE_COUNT = 10


@dataclass(frozen=True, slots=True)
class TotpFactor:
    """An authenticator-app secret, pending until the user proves it with a first code.

    `last_used_step` is the RFC 6238 time step of the last accepted code: a code is
    accepted only for a later step, so a code cannot be replayed within its window.
    Backup codes are stored as SHA-256 digests (they carry 80 random bits) and each
    works once.
    """

    secret: str = field(repr=False)
    confirmed: bool = False
    last_used_step: int = -1
    backup_code_hashes: tuple[str, ...] = field(default=(), repr=False)

    def after_code(self, step: int) -> TotpFactor:
        return replace(self, last_used_step=step)

    def without_backup_code(self, code_hash: str) -> TotpFactor:
        return replace(
            self, backup_code_hashes=tuple(h for h in self.backup_code_hashes if h != code_hash)
        )
