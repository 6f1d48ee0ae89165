"""Checking a second-factor code against a user's TOTP factor."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from application.auth.sessions import hash_secret
from application.ports.one_time_passwords import OneTimePasswords
from domain.errors import InvalidCodeError
from domain.two_factor import TotpFactor

# ASCII digits: `\d` alone also matches fullwidth or Arabic-Indic ones, which no app shows.
TOTP_CODE = re.compile(r"^[0-9]{6}$")
MAX_CODE_LENGTH = 64


def normalize_backup_code(code: str) -> str:
    """Backup codes are typed by hand: ignore case, spaces and dashes."""
    return re.sub(r"[\s-]", "", code).upper()


def hash_backup_code(code: str) -> str:
    return hash_secret(normalize_backup_code(code))


@dataclass(frozen=True, slots=True)
class AcceptedCode:
    factor: TotpFactor  # the factor after this use (step advanced, backup code gone)
    backup_code: bool

    def applied_to(self, latest: TotpFactor | None) -> TotpFactor | None:
        """The use of this code recorded on `latest` (the factor as stored now), for a
        write that checks and records the code in one compare-and-set: `InvalidCodeError`
        if a concurrent request used the same code meanwhile (no replay). A factor
        replaced or removed meanwhile is left alone."""
        if latest is None or latest.secret != self.factor.secret:
            return latest
        if self.backup_code:
            kept = set(self.factor.backup_code_hashes)
            if set(latest.backup_code_hashes) <= kept:
                raise InvalidCodeError  # the code is gone already
            return replace(
                latest,
                backup_code_hashes=tuple(h for h in latest.backup_code_hashes if h in kept),
            )
        if latest.last_used_step >= self.factor.last_used_step:
            raise InvalidCodeError
        return latest.after_code(self.factor.last_used_step)


def accept_code(
    otp: OneTimePasswords, factor: TotpFactor, code: str, now: datetime
) -> AcceptedCode:
    """Accept a 6-digit app code for a step later than the last one used (no replay)
    or an unused backup code; `InvalidCodeError` otherwise."""
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidCodeError
    compact = re.sub(r"\s", "", code)  # apps show "123 456"
    if TOTP_CODE.match(compact):
        step = otp.matching_step(factor.secret, compact, now)
        if step is None or step <= factor.last_used_step:
            raise InvalidCodeError
        return AcceptedCode(factor.after_code(step), backup_code=False)
    code_hash = hash_backup_code(code)
    if code_hash not in factor.backup_code_hashes:
        raise InvalidCodeError
    return AcceptedCode(factor.without_backup_code(code_hash), backup_code=True)
