"""`/api/v1/auth`: sign-up, sign-in, refresh, sign-out."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from application.auth.refresh import RefreshCommand
from application.auth.sign_in import SignInCommand
from application.auth.sign_out import SignOutCommand
from application.auth.sign_up import SignUpCommand
from entrypoints.http.dependencies import ServicesDep, client_ip
from entrypoints.http.openapi import BODY, problems
from entrypoints.http.schemas import (
    RefreshTokenIn,
    SignInIn,
    SignUpIn,
    SignUpOut,
    TokenPairOut,
    tokens_out,
    user_out,
)
from entrypoints.http.validation import checked_email


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared class attribute

    @post("/sign-up", operation_id="signUp", status_code=201, responses=problems(*BODY, 409, 503))
    async def sign_up(self, data: JSONBody[SignUpIn], services: ServicesDep) -> SignUpOut:
        """Create an account (role `user`) and sign it in. 409 if the email is taken,
        422 if the email or password breaks a rule."""
        command = SignUpCommand(checked_email(data.email), data.password, data.name)
        result = await services.sign_up.execute(command)
        return SignUpOut(user_out(result.user), tokens_out(result.tokens))

    @post(
        "/sign-in", operation_id="signIn", status_code=200, responses=problems(*BODY, 401, 429, 503)
    )
    async def sign_in(
        self, data: JSONBody[SignInIn], services: ServicesDep, request: Request[Any, Any, Any]
    ) -> TokenPairOut:
        """Exchange email and password for a token pair. 401 for unknown email or wrong
        password alike; 429 with `Retry-After` after repeated failures."""
        command = SignInCommand(data.email, data.password, client_ip(request))
        return tokens_out(await services.sign_in.execute(command))

    @post("/refresh", operation_id="refresh", status_code=200, responses=problems(*BODY, 401, 503))
    async def refresh(self, data: JSONBody[RefreshTokenIn], services: ServicesDep) -> TokenPairOut:
        """Rotate a refresh token. The presented token is spent; presenting it again
        later revokes its whole family."""
        return tokens_out(await services.refresh.execute(RefreshCommand(data.refresh_token)))

    @post("/sign-out", operation_id="signOut", status_code=204, responses=problems(*BODY, 503))
    async def sign_out(self, data: JSONBody[RefreshTokenIn], services: ServicesDep) -> None:
        """Revoke the refresh token's family. Idempotent: 204 for unknown tokens too."""
        await services.sign_out.execute(SignOutCommand(data.refresh_token))
