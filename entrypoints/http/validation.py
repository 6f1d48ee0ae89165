"""Edge validation that needs a library the domain must not import.

Every email that enters the service goes through one of these two (the policy is in
`domain.users.Email`, the implementation in `adapters.identity`).
"""

from __future__ import annotations

from adapters.identity import canonical_email, lookup_email


def checked_email(value: str, field: str = "email") -> str:
    """An address being set (sign-up, admin create, email change, the CLI): its
    canonical form, or a 422 naming `field` with a message and a code."""
    return canonical_email(value, field)


def email_for_lookup(value: str) -> str:
    """An address naming an account (sign-in, reset, resend): never refused here, so
    an unusable address is answered like an unknown account."""
    return lookup_email(value)
