"""Secrets Manager values merged into the settings' environment (moto stands in for AWS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from entrypoints import lambda_handler, secrets
from entrypoints.secrets import with_secrets
from entrypoints.settings import SettingsError, load_settings

pytestmark = pytest.mark.unit

REGION = "eu-west-1"
JWT_SECRET = "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA"  # a generated one
ATLAS_URI = "mongodb+srv://app:pa55@cluster0.example.mongodb.net/?retryWrites=true"
IDENTIFIER_KEY = "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    secrets.clear_cache()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)
    secrets.clear_cache()


def _secret(client: Any, name: str, value: str) -> str:
    arn: str = client.create_secret(Name=name, SecretString=value)["ARN"]
    return arn


def test_without_secret_arns_the_environment_is_returned_unchanged() -> None:
    env = {"APP_ENV": "test", "JWT_SECRET": "x" * 48}
    assert with_secrets(env) is env


def test_a_plain_mongodb_secret_becomes_mongodb_uri(aws: Any) -> None:
    arn = _secret(aws, "serverless-auth/dev/mongodb-uri", ATLAS_URI)
    env = with_secrets({"MONGODB_URI_SECRET_ARN": arn, "APP_ENV": "dev"})
    assert env["MONGODB_URI"] == ATLAS_URI
    assert env["APP_ENV"] == "dev"


def test_the_generated_jwt_secret_json_becomes_jwt_secret(aws: Any) -> None:
    arn = _secret(aws, "serverless-auth/dev/jwt", json.dumps({"JWT_SECRET": JWT_SECRET}))
    env = with_secrets({"JWT_SECRET_ARN": arn})
    assert env["JWT_SECRET"] == JWT_SECRET


def test_a_plain_jwt_secret_is_used_as_is(aws: Any) -> None:
    arn = _secret(aws, "jwt-plain", JWT_SECRET)
    assert with_secrets({"JWT_SECRET_ARN": arn})["JWT_SECRET"] == JWT_SECRET


def test_one_secret_can_carry_an_eddsa_key_set(aws: Any) -> None:
    keys = {
        "JWT_SIGNING_KID": "k2",
        "JWT_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\n...",
        "JWT_PUBLIC_KEYS": {"k1": "pem1", "k2": "pem2"},
    }
    arn = _secret(aws, "jwt-eddsa", json.dumps(keys))
    env = with_secrets({"JWT_SECRET_ARN": arn})
    assert env["JWT_SIGNING_KID"] == "k2"
    assert env["JWT_PRIVATE_KEY"].startswith("-----BEGIN")
    assert json.loads(env["JWT_PUBLIC_KEYS"]) == {"k1": "pem1", "k2": "pem2"}


def test_a_secret_value_wins_over_the_same_variable_set_directly(aws: Any) -> None:
    arn = _secret(aws, "uri", ATLAS_URI)
    env = with_secrets({"MONGODB_URI_SECRET_ARN": arn, "MONGODB_URI": "mongodb://stale/"})
    assert env["MONGODB_URI"] == ATLAS_URI


def test_unexpected_keys_in_a_json_secret_are_refused(aws: Any) -> None:
    arn = _secret(aws, "jwt-bad", json.dumps({"JWT_SECRET": JWT_SECRET, "APP_ENV": "local"}))
    with pytest.raises(SettingsError, match=r"JWT_SECRET_ARN: unexpected keys \['APP_ENV'\]"):
        with_secrets({"JWT_SECRET_ARN": arn})


def test_a_missing_secret_names_the_variable_and_the_error_code_only(aws: Any) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nope-AbCdEf"
    with pytest.raises(SettingsError) as caught:
        with_secrets({"MONGODB_URI_SECRET_ARN": arn})
    assert (
        str(caught.value)
        == "MONGODB_URI_SECRET_ARN: cannot read the secret (ResourceNotFoundException)"
    )


def test_each_secret_is_read_once_per_process(aws: Any) -> None:
    arn = _secret(aws, "uri-cached", ATLAS_URI)
    assert with_secrets({"MONGODB_URI_SECRET_ARN": arn})["MONGODB_URI"] == ATLAS_URI
    aws.put_secret_value(SecretId=arn, SecretString="mongodb+srv://rotated/")
    # A warm container keeps the value it started with; new containers read the new one.
    assert with_secrets({"MONGODB_URI_SECRET_ARN": arn})["MONGODB_URI"] == ATLAS_URI
    secrets.clear_cache()
    assert with_secrets({"MONGODB_URI_SECRET_ARN": arn})["MONGODB_URI"] == "mongodb+srv://rotated/"


def test_the_secret_is_read_in_the_region_of_its_arn(aws: Any) -> None:
    # The client's default region is us-east-1; the secret lives in eu-west-1.
    arn = _secret(aws, "regional", ATLAS_URI)
    assert f":{REGION}:" in arn
    assert with_secrets({"MONGODB_URI_SECRET_ARN": arn})["MONGODB_URI"] == ATLAS_URI


def test_an_injected_reader_replaces_secrets_manager() -> None:
    reads: list[str] = []

    def fetch(arn: str) -> str:
        reads.append(arn)
        return ATLAS_URI

    env = with_secrets({"MONGODB_URI_SECRET_ARN": "arn:x"}, fetch=fetch)
    assert env["MONGODB_URI"] == ATLAS_URI
    assert reads == ["arn:x"]


def test_settings_load_from_the_secrets_outside_local_development(aws: Any) -> None:
    jwt_arn = _secret(aws, "jwt", json.dumps({"JWT_SECRET": JWT_SECRET}))
    uri_arn = _secret(aws, "uri", ATLAS_URI)
    key_arn = _secret(aws, "identifier-key", IDENTIFIER_KEY)
    settings = load_settings(
        with_secrets(
            {
                "APP_ENV": "prod",
                "EMAIL_FROM": "no-reply@example.com",
                "JWT_SECRET_ARN": jwt_arn,
                "MONGODB_URI_SECRET_ARN": uri_arn,
                "IDENTIFIER_HMAC_KEY_SECRET_ARN": key_arn,
                "KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
            }
        )
    )
    assert settings.jwt_secret == JWT_SECRET
    assert settings.mongodb_uri == ATLAS_URI
    assert settings.identifier_hmac_key == IDENTIFIER_KEY
    assert settings.storage == "mongo"


def test_the_lambda_handler_builds_its_settings_from_the_secrets(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwt_arn = _secret(aws, "jwt-handler", json.dumps({"JWT_SECRET": JWT_SECRET}))
    monkeypatch.setenv("APP_ENV", "dev")
    monkeypatch.setenv("EMAIL_FROM", "no-reply@example.com")
    monkeypatch.setenv("IDENTIFIER_HMAC_KEY", IDENTIFIER_KEY)
    monkeypatch.setenv("APP_STORAGE", "memory")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("JWT_SECRET_ARN", jwt_arn)
    monkeypatch.setattr(lambda_handler, "_adapter", None)
    # Without the secret, APP_ENV=dev refuses to start (JWT_SECRET required).
    adapter = lambda_handler._build()
    assert adapter is not None
