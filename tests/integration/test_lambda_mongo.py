"""The Lambda handler on MongoDB: one client per container, reused across invocations."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.embedded import EmbeddedMongo
from entrypoints import lambda_handler
from tests.conftest import STRONG_PASSWORD, mongo_test_uri, unique_database
from tests.integration.lambda_events import LambdaContext, http_v2_event, response_json

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("cold_lambda")]


@pytest.mark.parametrize("driver", ["pymongo", "motor"])
def test_a_warm_container_reuses_one_mongo_client_across_invocations(
    driver: str, nx_server: EmbeddedMongo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_STORAGE", "mongo")
    monkeypatch.setenv("MONGODB_URI", mongo_test_uri(nx_server))
    monkeypatch.setenv("MONGODB_DATABASE", unique_database())
    monkeypatch.setenv("MONGODB_DRIVER", driver)
    opened: list[object] = []
    original_init = AsyncMongoClient.__init__

    def counting_init(self: AsyncMongoClient[object], *args: object, **kwargs: object) -> None:
        opened.append(self)
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    if driver == "pymongo":
        monkeypatch.setattr(AsyncMongoClient, "__init__", counting_init)
    context = LambdaContext()
    body = {"email": "lambda@example.com", "password": STRONG_PASSWORD, "name": "Lam"}

    signed_up = lambda_handler.handler(
        http_v2_event("POST", "/api/v1/auth/sign-up", body=body), context
    )
    token = response_json(signed_up)["tokens"]["access_token"]
    adapter = lambda_handler._adapter
    responses = [
        lambda_handler.handler(
            http_v2_event("GET", "/api/v1/users/me", headers={"authorization": f"Bearer {token}"}),
            context,
        )
        for _ in range(3)
    ]

    assert signed_up["statusCode"] == 201
    assert [r["statusCode"] for r in responses] == [200, 200, 200]
    assert response_json(responses[-1])["email"] == "lambda@example.com"
    assert lambda_handler._adapter is adapter
    if driver == "pymongo":
        assert len(opened) == 1
    # The container is frozen, not shut down, on Lambda; here close the client cleanly.
    for hook in lambda_handler._adapter.app.on_shutdown:  # type: ignore[attr-defined]
        asyncio.get_event_loop().run_until_complete(hook())


def test_the_mongo_pool_is_small_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    from entrypoints.settings import load_settings

    settings = load_settings(
        {
            "APP_ENV": "prod",
            "JWT_SECRET": "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA",
            "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
            "EMAIL_FROM": "no-reply@example.com",
            "MONGODB_URI": "mongodb://db",
            "KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
            "AWS_LAMBDA_FUNCTION_NAME": "f",
        }
    )

    assert settings.storage == "mongo"
    assert settings.mongodb_max_pool_size == 2
