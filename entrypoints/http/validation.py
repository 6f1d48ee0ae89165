"""Edge validation that needs a library the domain must not import."""

from __future__ import annotations

from domain.errors import FieldError, InvalidInputError


def checked_email(value: str, field: str = "email") -> str:
    """Syntax check only (no DNS): a sign-up must not depend on the network."""
    # Imported on first use: ~20 ms that a Lambda cold start serving GET /me does not need.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInputError([FieldError(field, str(exc))]) from None
