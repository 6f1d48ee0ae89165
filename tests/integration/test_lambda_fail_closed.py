"""Fail closed on Lambda: a cold start whose configuration does not validate logs one
JSON line naming the setting, then every invocation fails with that error; nothing is
served with a local fallback (random JWT secret, console emails)."""

from __future__ import annotations

import json

import pytest

from entrypoints import lambda_handler
from entrypoints.settings import SettingsError
from tests.integration.lambda_events import LambdaContext, rest_v1_event

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("deployed")]

HEALTH = rest_v1_event("GET", "/health")


def refused_lines(output: str) -> list[dict[str, str]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "configuration_refused"]


@pytest.mark.parametrize("app_env", [None, "", "local", "test"])
def test_on_lambda_app_env_must_be_explicit_and_not_local_or_test(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], app_env: str | None
) -> None:
    if app_env is None:
        monkeypatch.delenv("APP_ENV")
    else:
        monkeypatch.setenv("APP_ENV", app_env)

    for _ in range(3):
        with pytest.raises(SettingsError, match=r"^APP_ENV: must be dev or prod on AWS Lambda"):
            lambda_handler.handler(HEALTH, LambdaContext())

    output = capsys.readouterr()
    (line,) = refused_lines(output.out)
    assert line["setting"] == "APP_ENV"
    assert line["level"] == "critical"
    assert "Traceback" not in output.out + output.err
    assert lambda_handler._adapter is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EMAIL_VERIFICATION_TTL_SECONDS", "30"),
        ("PASSWORD_RESET_TTL_SECONDS", "59"),
        ("JWT_SECRET", "s" * 48),
        ("PUBLIC_BASE_URL", "http://auth.example.com"),
        ("EMAIL_BACKEND", "console"),
        ("APP_STORAGE", "embedded"),  # the default without MONGODB_URI
        ("JWT_ALGORITHM", "EdDSA"),  # without its keys: refused when the app is built
    ],
)
def test_any_refused_setting_stops_the_cold_start_and_every_invocation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    for _ in range(2):
        with pytest.raises(SettingsError) as refused:
            lambda_handler.handler(HEALTH, LambdaContext())
        assert refused.value.setting == name

    (line,) = refused_lines(capsys.readouterr().out)
    assert line["setting"] == name
    assert line["error"].startswith(f"{name}: ")
    assert value not in line["error"] or name != "JWT_SECRET"  # never the secret itself


def test_a_valid_deployed_configuration_serves() -> None:
    response = lambda_handler.handler(HEALTH, LambdaContext())
    assert response["statusCode"] == 200
    assert lambda_handler._refused is None
