"""A tracer that is off costs no cold-start time: its SDK is never imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import json, sys
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
env = {"APP_ENV": "test", "METRICS": "emf", "TRACER": sys.argv[1]}
create_app(build_services(load_settings(env)))
# Litestar itself imports `opentelemetry.semconv` (constants); the SDKs are what cost.
sdks = ("aws_xray_sdk", "opentelemetry.sdk", "grafana_client", "botocore", "pymongo")
print(json.dumps(sorted({p for p in sdks for m in sys.modules if m.startswith(p)})))
"""


def loaded(tracer: str) -> list[str]:
    result = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", PROBE, tracer],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_with_tracing_off_neither_tracing_sdk_nor_grafana_client_is_imported() -> None:
    assert loaded("none") == []


@pytest.mark.parametrize(
    ("tracer", "sdk", "other"),
    [("xray", "aws_xray_sdk", "opentelemetry.sdk"), ("otel", "opentelemetry.sdk", "aws_xray_sdk")],
)
def test_a_selected_tracer_imports_only_its_own_sdk(tracer: str, sdk: str, other: str) -> None:
    modules = loaded(tracer)

    assert sdk in modules
    assert other not in modules
    assert "grafana_client" not in modules
