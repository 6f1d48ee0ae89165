"""`/api/v1/auth`: email verification and password reset, by emailed single-use links.

The "email me a link" routes answer 202 whatever the address (no account enumeration),
in the same time; the links carry their token in the URL fragment, which the frontend
reads and posts here.
"""

from __future__ import annotations

from litestar import Controller, MediaType, Response, post
from litestar.params import JSONBody

from application.auth.password_reset import (
    ConfirmPasswordResetCommand,
    RequestPasswordResetCommand,
)
from application.auth.verify_email import ResendVerificationCommand, VerifyEmailCommand
from entrypoints.http.dependencies import Client, ServicesDep
from entrypoints.http.openapi import BODY, AcceptedOperation, problems
from entrypoints.http.schemas import EmailIn, PasswordResetConfirmIn, TokenIn
from entrypoints.http.validation import email_for_lookup


def accepted() -> Response[bytes]:
    """202 with an empty body (Litestar would serialize a `None` 202 as `null`)."""
    return Response(b"", status_code=202, media_type=MediaType.TEXT)


class RecoveryController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared class attribute

    @post(
        "/verify-email",
        operation_id="verifyEmail",
        status_code=204,
        responses=problems(*BODY, 503),
    )
    async def verify_email(
        self, data: JSONBody[TokenIn], services: ServicesDep, client: Client
    ) -> None:
        """Confirm the address with the token of the emailed link. 400 if the token is
        unknown, used, expired, or was sent to an address the account no longer has."""
        await services.verify_email.execute(VerifyEmailCommand(data.token, client))

    @post(
        "/verify-email/resend",
        operation_id="resendVerificationEmail",
        operation_class=AcceptedOperation,
        status_code=202,
        responses=problems(*BODY, 429, 503),
    )
    async def resend_verification(
        self, data: JSONBody[EmailIn], services: ServicesDep, client: Client
    ) -> Response[bytes]:
        """Email a new verification link if the address has an unverified account. 202
        in every case; 429 with `Retry-After` when asked too often."""
        command = ResendVerificationCommand(email_for_lookup(data.email), client)
        await services.resend_verification.execute(command)
        return accepted()

    @post(
        "/password-reset",
        operation_id="requestPasswordReset",
        operation_class=AcceptedOperation,
        status_code=202,
        responses=problems(*BODY, 429, 503),
    )
    async def request_password_reset(
        self, data: JSONBody[EmailIn], services: ServicesDep, client: Client
    ) -> Response[bytes]:
        """Email a password-reset link (valid 1 hour, single-use) if the address has an
        account. 202 in every case; 429 with `Retry-After` when asked too often."""
        command = RequestPasswordResetCommand(email_for_lookup(data.email), client)
        await services.request_password_reset.execute(command)
        return accepted()

    @post(
        "/password-reset/confirm",
        operation_id="confirmPasswordReset",
        status_code=204,
        responses=problems(*BODY, 503),
    )
    async def confirm_password_reset(
        self, data: JSONBody[PasswordResetConfirmIn], services: ServicesDep, client: Client
    ) -> None:
        """Set a new password with the token of the emailed link. Every session and
        access token of the account ends. 400 if the token is unknown, used, expired or
        outdated; 422 if the new password breaks a rule (the token stays usable)."""
        command = ConfirmPasswordResetCommand(data.token, data.new_password, client)
        await services.confirm_password_reset.execute(command)
