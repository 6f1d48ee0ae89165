"""TOTP with pyotp: the defaults every authenticator app understands (RFC 6238 with
SHA-1, 6 digits, 30-second steps)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp

# Crockford-style base32 without the look-alikes 0/O and 1/I/L: codes are typed by hand.
BACKUP_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BACKUP_CODE_GROUPS = 4
BACKUP_CODE_GROUP_LENGTH = 4  # 16 symbols of 31: about 79 bits
# One step either side of now: the phone's clock may be a little off, or the user slow.
VALID_WINDOW = 1


class PyOtpOneTimePasswords:
    def new_secret(self) -> str:
        return pyotp.random_base32(length=32)  # 160 bits, RFC 4226's recommendation

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        # isdigit() alone takes fullwidth or Arabic-Indic digits, and compare_digest then
        # raises on the non-ASCII string.
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return None
        totp = pyotp.TOTP(secret)
        step = totp.timecode(now)
        for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
            # Constant-time comparison of each candidate (pyotp's own `verify` does too).
            if hmac.compare_digest(totp.generate_otp(step + offset), code):
                return step + offset
        return None

    def new_backup_codes(self, count: int) -> list[str]:
        return [
            "-".join(
                "".join(
                    secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_GROUP_LENGTH)
                )
                for _ in range(BACKUP_CODE_GROUPS)
            )
            for _ in range(count)
        ]
