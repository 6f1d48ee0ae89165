"""The account lifecycle routes through Lambda (Mangum) with API Gateway REST v1 events:
a password reset from request to sign-in with the new password, and a two-factor
sign-in from its 202 challenge to the token pair.

APP_ENV=test uses the console email sender, which prints each email to stderr: the
tests read the link from there, as a developer would from the terminal.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote

import pyotp
import pytest

from entrypoints.lambda_handler import handler
from tests.integration.lambda_events import LambdaContext, response_json, rest_v1_event

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("cold_lambda")]

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
PASSWORD = "velvet harbor quantum meadow"
NEW_PASSWORD = "tremendous purple elephant dance"
EMAIL = "ann@example.com"
RESET_LINK = re.compile(r"https?://\S+/reset-password#token=([A-Za-z0-9_%-]+)")
VERIFY_LINK = re.compile(r"https?://\S+/verify-email#token=([A-Za-z0-9_%-]+)")


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def invoke(
    context: LambdaContext,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return handler(rest_v1_event(method, path, body=body, headers=headers), context)


def sign_up(context: LambdaContext) -> dict[str, Any]:
    response = invoke(
        context, "POST", f"{AUTH}/sign-up", {"email": EMAIL, "password": PASSWORD, "name": "Ann"}
    )
    assert response["statusCode"] == 201, response.get("body")
    body: dict[str, Any] = response_json(response)
    return body


def sign_in(context: LambdaContext, password: str = PASSWORD) -> dict[str, Any]:
    return invoke(context, "POST", f"{AUTH}/sign-in", {"email": EMAIL, "password": password})


def test_a_password_reset_through_lambda_from_request_to_sign_in(
    context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    sign_up(context)
    capsys.readouterr()  # the verification email of the sign-up

    requested = invoke(context, "POST", f"{AUTH}/password-reset", {"email": EMAIL})

    assert requested["statusCode"] == 202, requested.get("body")
    printed = capsys.readouterr().err
    assert f"To: {EMAIL}" in printed
    [quoted] = RESET_LINK.findall(printed)
    token = unquote(quoted)
    assert token not in (requested.get("body") or "")
    unknown = invoke(context, "POST", f"{AUTH}/password-reset", {"email": "nobody@example.com"})
    assert unknown["statusCode"] == 202, unknown.get("body")
    assert "nobody@example.com" not in capsys.readouterr().err

    confirmed = invoke(
        context,
        "POST",
        f"{AUTH}/password-reset/confirm",
        {"token": token, "new_password": NEW_PASSWORD},
    )

    assert confirmed["statusCode"] == 204, confirmed.get("body")
    assert sign_in(context)["statusCode"] == 401
    signed_in = sign_in(context, NEW_PASSWORD)
    assert signed_in["statusCode"] == 200, signed_in.get("body")
    access_token = response_json(signed_in)["access_token"]
    me = invoke(context, "GET", ME, headers={"Authorization": f"Bearer {access_token}"})
    assert me["statusCode"] == 200, me.get("body")
    assert response_json(me)["email_verified"] is True
    reused = invoke(
        context,
        "POST",
        f"{AUTH}/password-reset/confirm",
        {"token": token, "new_password": "yet another splendid passphrase"},
    )
    assert reused["statusCode"] == 400, reused.get("body")


def test_a_two_factor_sign_in_through_lambda_answers_202_then_a_token_pair(
    context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    access_token = sign_up(context)["tokens"]["access_token"]
    # Two-factor needs a verified address: follow the link the sign-up printed.
    [quoted] = VERIFY_LINK.findall(capsys.readouterr().err)
    verified = invoke(context, "POST", f"{AUTH}/verify-email", {"token": unquote(quoted)})
    assert verified["statusCode"] == 204, verified.get("body")
    bearer = {"Authorization": f"Bearer {access_token}"}
    enrolled = invoke(context, "POST", f"{ME}/two-factor", {"password": PASSWORD}, bearer)
    assert enrolled["statusCode"] == 201, enrolled.get("body")
    totp = pyotp.TOTP(response_json(enrolled)["secret"])
    now = int(time.time())
    confirmed = invoke(context, "POST", f"{ME}/two-factor/confirm", {"code": totp.at(now)}, bearer)
    assert confirmed["statusCode"] == 200, confirmed.get("body")
    assert len(response_json(confirmed)["backup_codes"]) == 10

    challenged = sign_in(context)

    assert challenged["statusCode"] == 202, challenged.get("body")
    challenge = response_json(challenged)
    assert challenge["expires_in"] == 300
    assert challenge["methods"] == ["totp", "backup_code"]
    assert "access_token" not in challenge
    # The confirmation used this step's code; the next step's is accepted (one step of
    # clock drift is allowed) and cannot be a replay.
    completed = invoke(
        context,
        "POST",
        f"{AUTH}/sign-in/totp",
        {"challenge": challenge["challenge"], "code": totp.at(now + 30)},
    )
    assert completed["statusCode"] == 200, completed.get("body")
    tokens = response_json(completed)
    assert tokens["token_type"] == "Bearer"
    me = invoke(context, "GET", ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me["statusCode"] == 200, me.get("body")
    assert response_json(me)["two_factor_enabled"] is True
