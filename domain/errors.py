"""One error hierarchy for the whole service.

The HTTP edge translates these into RFC 9457 problems in one table
(`entrypoints/http/errors.py`); nothing below the edge knows about status codes.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every expected, business-level failure."""

    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class FieldError:
    """`code` names the rule that failed, for clients (e.g. `too_short`, `common`)."""

    field: str
    message: str
    code: str | None = None


class InvalidInputError(DomainError):
    """Input broke a business rule (password policy, malformed email, ...)."""

    default_message = "The request is invalid."

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors


class EmailTakenError(DomainError):
    default_message = "An account with this email already exists."


class InvalidCredentialsError(DomainError):
    """Unknown email and wrong password are deliberately indistinguishable."""

    default_message = "The email or password is incorrect."


class AuthenticationError(DomainError):
    """A missing, malformed, expired or revoked access or refresh token."""

    default_message = "The token is missing, invalid, expired or revoked."


class CredentialsMissingError(AuthenticationError):
    default_message = "An access token is required."


class RefreshReuseError(AuthenticationError):
    """A spent refresh token came back after the grace window: it leaked, and its
    family has been revoked. Answered like any invalid token (401)."""


class PermissionDeniedError(DomainError):
    default_message = "You are not allowed to do this."


class EmailNotVerifiedError(PermissionDeniedError):
    default_message = "Verify your email address first (see the link we sent you)."


class InvalidTokenError(DomainError):
    """A verification or reset token that is unknown, used, expired or outdated."""

    default_message = "The link is invalid, expired or already used; request a new one."


class InvalidCodeError(AuthenticationError):
    """A wrong or replayed second-factor code, or an expired sign-in challenge."""

    default_message = "The code is incorrect or the sign-in challenge has expired."


class TwoFactorStateError(DomainError):
    """Enrolling when already enrolled, confirming with nothing pending, and the like."""

    default_message = "Two-factor authentication is not in a state that allows this."


class SessionNotFoundError(DomainError):
    default_message = "No such session."


class UserNotFoundError(DomainError):
    """Also raised when a user asks for someone else: no enumeration."""

    default_message = "No such user."


class StaleVersionError(DomainError):
    """The caller's version is not the stored one (optimistic concurrency)."""

    default_message = "The user has changed since you read it; fetch it again."


class LastAdminError(DomainError):
    default_message = "The last admin cannot be demoted or deleted."


class TooManyAttemptsError(DomainError):
    default_message = "Too many attempts; try again later."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class ServiceBusyError(DomainError):
    """A bounded resource (the password hasher, the store) cannot serve now."""

    default_message = "The service is busy; try again shortly."

    def __init__(self, retry_after_seconds: int = 1, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class StoreUnavailableError(ServiceBusyError):
    default_message = "The data store is unavailable; try again shortly."
