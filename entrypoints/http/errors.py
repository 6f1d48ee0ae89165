"""The one table from errors to RFC 9457 problems.

Domain errors map by class; framework errors (validation, 404, 405, 413) keep their
status; anything else is a generic 500 whose details go to the log only.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain import errors as e
from entrypoints.http.openapi import PROBLEM_JSON
from entrypoints.http.schemas import FieldErrorOut, ProblemOut

log = logging.getLogger("http.errors")


# Most specific first: the first matching class wins.
PROBLEMS: list[tuple[type[e.DomainError], int, str]] = [
    (e.InvalidInputError, 422, "invalid-input"),
    (e.EmailTakenError, 409, "email-taken"),
    (e.InvalidCredentialsError, 401, "invalid-credentials"),
    (e.InvalidCodeError, 401, "invalid-code"),
    (e.AuthenticationError, 401, "unauthenticated"),
    (e.EmailNotVerifiedError, 403, "email-unverified"),
    (e.PermissionDeniedError, 403, "forbidden"),
    (e.UserNotFoundError, 404, "not-found"),
    (e.SessionNotFoundError, 404, "not-found"),
    (e.InvalidTokenError, 400, "invalid-token"),
    (e.TwoFactorStateError, 409, "two-factor-state"),
    (e.StaleVersionError, 412, "stale-version"),
    (e.LastAdminError, 409, "last-admin"),
    (e.TooManyAttemptsError, 429, "too-many-attempts"),
    (e.StoreUnavailableError, 503, "store-unavailable"),
    (e.ServiceBusyError, 503, "service-busy"),
]


def problem(
    status: int,
    slug: str,
    detail: str | None = None,
    *,
    request: Request[Any, Any, Any] | None = None,
    errors: list[FieldErrorOut] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ProblemOut]:
    body = ProblemOut(
        type="about:blank" if slug == "about:blank" else f"/problems/{slug}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        # The path as routed, not `request.url`: building that decodes the query string,
        # which may not be UTF-8.
        instance=str(request.scope["path"]) if request is not None else None,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemOut]:
    assert isinstance(exc, e.DomainError)  # noqa: S101 - registered for DomainError only
    match = next(((status, slug) for kind, status, slug in PROBLEMS if isinstance(exc, kind)), None)
    if match is None:  # an unmapped DomainError is a programming error, not the client's
        return internal_error_handler(request, exc)
    status, slug = match
    headers: dict[str, str] = {}
    if status == 401:
        # RFC 6750 §3.1: no error code when the request carried no token at all.
        invalid = slug == "unauthenticated" and not isinstance(exc, e.CredentialsMissingError)
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if invalid else "Bearer"
    if isinstance(exc, e.TooManyAttemptsError | e.ServiceBusyError):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    field_errors = None
    if isinstance(exc, e.InvalidInputError):
        field_errors = [FieldErrorOut(f.field, f.message, f.code) for f in exc.errors]
    return problem(status, slug, exc.message, request=request, errors=field_errors, headers=headers)


# msgspec names the offending body field inside its message; point `field` at it.
FIELD_IN_MESSAGE = re.compile(r"(?:field `([^`]+)`|at `\$\.([A-Za-z_][\w]*))")


def _field_error(item: dict[str, Any]) -> FieldErrorOut:
    message = str(item.get("message", ""))
    field = str(item.get("key") or item.get("source") or "body")
    found = FIELD_IN_MESSAGE.search(message)
    if field == "data" and found:
        field = found.group(1) or found.group(2)
    elif field == "data":
        field = "body"
    return FieldErrorOut(field, message)


def validation_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[ProblemOut]:
    assert isinstance(exc, ValidationException)  # noqa: S101
    extra = exc.extra if isinstance(exc.extra, list) else []
    field_errors = [_field_error(item) for item in extra if isinstance(item, dict)]
    return problem(
        422,
        "invalid-input",
        "The request is invalid.",
        request=request,
        errors=field_errors or [FieldErrorOut("body", str(exc.detail))],
    )


def http_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemOut]:
    assert isinstance(exc, HTTPException)  # noqa: S101
    if exc.status_code >= 500:
        return internal_error_handler(request, exc)
    return problem(exc.status_code, "about:blank", exc.detail, request=request, headers=exc.headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemOut]:
    # The traceback goes to the log; the client learns nothing about the internals.
    log.error("unhandled_error", exc_info=exc, extra={"path": request.url.path})
    return problem(500, "about:blank", "An unexpected error occurred.", request=request)


EXCEPTION_HANDLERS = {
    e.DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem"]
