"""Session fixtures: the Lambda bundle (built once, cached under infra/.build/) and both
stages synthesized once into a temporary cloud assembly.

Synthesis runs aws-cdk-lib through jsii, which needs `node` on PATH.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.bundle import LAMBDA, Bundle, build_bundle

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

# Filled in by the tests that measure them; printed at the end of the run.
REPORT: dict[str, str] = {}

# dev is synthesized with no context beyond the stage (the placeholder sender, the
# distribution's URL for links); prod with what a real deploy passes.
PROD_CONTEXT = {
    "alarm_email": "ops@example.com",
    "email_from": "Serverless Auth <no-reply@mail.example.org>",
    "ses_configuration_set": "serverless-auth-prod",
    "require_verified_email": "true",
}


@dataclass(frozen=True)
class Synthesized:
    stage: str
    path: Path
    json: dict[str, Any]
    template: Any  # aws_cdk.assertions.Template

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}

    def one(self, kind: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(kind)
        assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
        return next(iter(found.items()))


@pytest.fixture(scope="session")
def lambda_bundle() -> Bundle:
    return build_bundle(LAMBDA)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in static export, so the stack always includes the site deployment."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<!doctype html><title>serverless-auth</title>")
    return site


@pytest.fixture(scope="session")
def synthesized(
    lambda_bundle: Bundle, site_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Synthesized]:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    stages: dict[str, Synthesized] = {}
    for stage, extra in {"dev": {}, "prod": PROD_CONTEXT}.items():
        outdir = tmp_path_factory.mktemp(f"cdk-{stage}")
        app, stack = build_app(
            {"stage": stage, "frontend_dir": str(site_dir), **extra},
            bundle_zip=lambda_bundle.zip_path,
            outdir=outdir,
        )
        assembly = app.synth()
        path = Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
        document = json.loads(path.read_text())
        stages[stage] = Synthesized(stage, path, document, Template.from_json(document))
    return stages


@pytest.fixture(scope="session")
def dev(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def prod(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["prod"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("infra")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")
