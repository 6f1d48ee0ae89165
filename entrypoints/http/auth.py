"""`/api/v1/auth`: sign-up, sign-in (with its two-factor step), refresh, sign-out.

Each route answers in body mode (the refresh token in JSON, for API clients) or, with
`X-Refresh-Token-Transport: cookie`, in cookie mode (browsers; see `cookie_mode`).
"""

from __future__ import annotations

from typing import cast

from litestar import Controller, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from application.auth.refresh import RefreshCommand
from application.auth.sign_in import SignInCommand, TwoFactorChallenge
from application.auth.sign_in_two_factor import TwoFactorSignInCommand
from application.auth.sign_out import SignOutCommand
from application.auth.sign_up import SignUpCommand
from domain.errors import CredentialsMissingError
from entrypoints.http.cookie_mode import (
    SET_COOKIE_DOC,
    RefreshCookie,
    Transport,
    cleared_refresh_cookie,
    is_cookie_mode,
    presented_token,
    token_response,
)
from entrypoints.http.dependencies import Client, ServicesDep
from entrypoints.http.openapi import BODY, OptionalBodyOperation, problems
from entrypoints.http.schemas import (
    RefreshTokenIn,
    SignInIn,
    SignUpIn,
    SignUpOut,
    TokenPairOut,
    TwoFactorChallengeOut,
    TwoFactorSignInIn,
    tokens_out,
    user_out,
)
from entrypoints.http.validation import checked_email, email_for_lookup


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared class attribute

    @post(
        "/sign-up",
        operation_id="signUp",
        status_code=201,
        responses=problems(*BODY, 409, 429, 503),
        response_headers=SET_COOKIE_DOC,
    )
    async def sign_up(
        self,
        data: JSONBody[SignUpIn],
        services: ServicesDep,
        client: Client,
        refresh_token_transport: Transport = None,
    ) -> Response[SignUpOut]:
        """Create an account (role `user`) and sign it in; a verification link is
        emailed. 409 if the email is taken, 422 if the email or password breaks a rule,
        429 with `Retry-After` when this client has opened too many accounts lately."""
        cookie_mode = is_cookie_mode(refresh_token_transport)
        command = SignUpCommand(checked_email(data.email), data.password, data.name, client)
        result = await services.sign_up.execute(command)
        if result.tokens is None:  # signs in once the email is verified
            return Response(SignUpOut(user_out(result.user), None), status_code=201)
        tokens = tokens_out(result.tokens, with_refresh_token=not cookie_mode)
        body = SignUpOut(user_out(result.user), tokens)
        return token_response(body, result.tokens, cookie_mode, services.settings, 201)

    @post(
        "/sign-in",
        operation_id="signIn",
        status_code=200,
        responses={
            202: ResponseSpec(
                TwoFactorChallengeOut,
                description="The password is right and two-factor is on: send a code to "
                "`/auth/sign-in/totp` with this challenge.",
                generate_examples=False,
            ),
            **problems(*BODY, 401, 403, 429, 503),
        },
        response_headers=SET_COOKIE_DOC,
    )
    async def sign_in(
        self,
        data: JSONBody[SignInIn],
        services: ServicesDep,
        client: Client,
        refresh_token_transport: Transport = None,
    ) -> Response[TokenPairOut]:
        """Exchange email and password for a token pair, or (two-factor on) for a
        challenge answered 202. 401 for unknown email or wrong password alike; 429 with
        `Retry-After` after repeated failures; 403 for an unverified email only when the
        server requires verified emails (REQUIRE_VERIFIED_EMAIL)."""
        cookie_mode = is_cookie_mode(refresh_token_transport)
        command = SignInCommand(email_for_lookup(data.email), data.password, client)
        result = await services.sign_in.execute(command)
        if isinstance(result, TwoFactorChallenge):
            challenge = TwoFactorChallengeOut(
                result.challenge, result.expires_in, ["totp", "backup_code"]
            )
            # The annotation documents the 200; the 202 is documented in `responses`.
            return cast("Response[TokenPairOut]", Response(challenge, status_code=202))
        body = tokens_out(result, with_refresh_token=not cookie_mode)
        return token_response(body, result, cookie_mode, services.settings, 200)

    @post(
        "/sign-in/totp",
        operation_id="signInTwoFactor",
        status_code=200,
        responses=problems(*BODY, 401, 429, 503),
        response_headers=SET_COOKIE_DOC,
    )
    async def sign_in_two_factor(
        self,
        data: JSONBody[TwoFactorSignInIn],
        services: ServicesDep,
        client: Client,
        refresh_token_transport: Transport = None,
    ) -> Response[TokenPairOut]:
        """Finish a challenged sign-in with the 6-digit code of the authenticator app or
        a backup code. 401 for a wrong, reused or late code or an expired challenge; 429
        with `Retry-After` after repeated failures."""
        cookie_mode = is_cookie_mode(refresh_token_transport)
        command = TwoFactorSignInCommand(data.challenge, data.code, client)
        tokens = await services.sign_in_two_factor.execute(command)
        body = tokens_out(tokens, with_refresh_token=not cookie_mode)
        return token_response(body, tokens, cookie_mode, services.settings, 200)

    @post(
        "/refresh",
        operation_id="refresh",
        operation_class=OptionalBodyOperation,
        status_code=200,
        responses=problems(*BODY, 401, 503),
        response_headers=SET_COOKIE_DOC,
    )
    async def refresh(
        self,
        services: ServicesDep,
        client: Client,
        data: JSONBody[RefreshTokenIn | None] = None,
        refresh_token_transport: Transport = None,
        cookie: RefreshCookie = None,
    ) -> Response[TokenPairOut]:
        """Rotate a refresh token. The presented token is spent; presenting it again
        later revokes its whole family. Body mode: send `{refresh_token}`. Cookie mode:
        send no body; the cookie is read and replaced. 401 when no token is presented."""
        cookie_mode = is_cookie_mode(refresh_token_transport)
        token = presented_token(data.refresh_token if data else None, cookie_mode, cookie)
        if token is None:
            raise CredentialsMissingError("No refresh token was presented: sign in again.")
        tokens = await services.refresh.execute(RefreshCommand(token, client))
        body = tokens_out(tokens, with_refresh_token=not cookie_mode)
        return token_response(body, tokens, cookie_mode, services.settings, 200)

    @post(
        "/sign-out",
        operation_id="signOut",
        operation_class=OptionalBodyOperation,
        status_code=204,
        responses=problems(*BODY, 503),
        response_headers=SET_COOKIE_DOC,
    )
    async def sign_out(
        self,
        services: ServicesDep,
        data: JSONBody[RefreshTokenIn | None] = None,
        refresh_token_transport: Transport = None,
        cookie: RefreshCookie = None,
    ) -> Response[None]:
        """Revoke the refresh token's family. Idempotent: 204 for unknown or absent
        tokens too. Body mode: send `{refresh_token}`. Cookie mode: send no body; the
        cookie is read and cleared."""
        cookie_mode = is_cookie_mode(refresh_token_transport)
        token = presented_token(data.refresh_token if data else None, cookie_mode, cookie)
        if token is not None:  # no token: nothing to end, and still a 204
            await services.sign_out.execute(SignOutCommand(token))
        cookies = [cleared_refresh_cookie()] if cookie_mode else []
        return Response(None, status_code=204, cookies=cookies)
