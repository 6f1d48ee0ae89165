"""The one email normalization (the policy is in `domain.users.Email`), with
email-validator for syntax and IDNA 2008.

- `canonical_email`: for an address being set (sign-up, admin create, email change,
  the CLI): the canonical form, or `InvalidInputError` with a clear message and code.
- `lookup_email`: for an address naming an existing account (sign-in, password reset,
  verification resend): the canonical form, else the form an older version stored (for
  accounts that kept an internationalized address), else the trimmed input, which
  matches no account. It never raises, so these routes answer as for an unknown account.
- `legacy_forms`: the forms an older version stored for a canonical address (its domain
  as U-labels), which stores also match until `app db migrate` rewrites them.

email-validator is imported on first use: ~20 ms that a cold start serving GET /me
does not need, and ASCII addresses (nearly all) are looked up without it.
"""

from __future__ import annotations

import unicodedata

from domain.errors import FieldError, InvalidInputError
from domain.users import Email

INTERNATIONALIZED = (
    "Use an address whose part before the @ has only Latin letters without accents, "
    "digits and . _ + -: internationalized addresses are not supported."
)


def canonical_email(raw: str, field: str = "email") -> str:
    """Trim, NFKC, validate (no DNS), domain as IDNA A-labels, local part lowercased
    and ASCII. Idempotent: a canonical address maps to itself."""
    from email_validator import EmailNotValidError, validate_email

    candidate = unicodedata.normalize("NFKC", raw.strip())
    try:
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        internationalized = not candidate.partition("@")[0].isascii() and "@" in candidate
        if internationalized:
            raise InvalidInputError(
                [FieldError(field, INTERNATIONALIZED, "email_internationalized")]
            ) from None
        raise InvalidInputError([FieldError(field, str(exc), "email_invalid")]) from None
    canonical = f"{result.local_part.lower()}@{result.ascii_domain.lower()}"
    try:
        return Email(canonical).value
    except InvalidInputError:
        # email-validator accepted what the domain's invariants refuse: refuse it too.
        raise InvalidInputError(
            [FieldError(field, "Enter a valid email address.", "email_invalid")]
        ) from None


def lookup_email(raw: str) -> str:
    """The address to find an account by; see the module docstring."""
    trimmed = raw.strip()
    if trimmed.isascii():
        # An ASCII address is canonical once lowercased, or no account can have it
        # (email-validator accepts no ASCII address that the domain's shape refuses).
        try:
            return Email(trimmed).value
        except InvalidInputError:
            return trimmed.lower()
    try:
        return canonical_email(raw)
    except InvalidInputError:
        return _older_form(trimmed) or trimmed.lower()


def legacy_forms(canonical: str) -> list[str]:
    """What versions before the canonical rule stored for this address, when it differs:
    the same address with its domain as U-labels (they kept email-validator's Unicode
    form)."""
    if "xn--" not in canonical:
        return []
    older = _older_form(canonical)
    return [older] if older and older != canonical else []


def _older_form(address: str) -> str | None:
    """The normalization of versions before the canonical rule: email-validator's
    NFC, Unicode-domain form, lowercased."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
