"""Session fixtures: the Lambda bundle (built once, cached under infra/.build/) and the
stages synthesized once into a temporary cloud assembly: dev, prod, and prod with the
function in a VPC (`atlas_access=nat`).

The stacks are synthesized over the built site (`frontend/out`, `make frontend`) when it
exists, as a deploy would be; otherwise over a small stand-in export, and the tests of
the site routing over the real export fail, asking for the build.

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
from infra.config import ROOT

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

# Filled in by the tests that measure them; printed at the end of the run.
REPORT: dict[str, str] = {}

FRONTEND_OUT = ROOT / "frontend" / "out"
# dev is synthesized with no context beyond the stage (the placeholder sender, the
# distribution's URL for links); prod with what a real deploy passes.
PROD_CONTEXT = {
    "alarm_email": "ops@example.com",
    "email_from": "Serverless Auth <no-reply@mail.example.org>",
    "ses_configuration_set": "serverless-auth-prod",
    "require_verified_email": "true",
    "origin_token_rotation": "2025-06-01",
}
STAGES: dict[str, dict[str, str]] = {
    "dev": {"stage": "dev"},
    "prod": {"stage": "prod", **PROD_CONTEXT},
    "prod-nat": {"stage": "prod", **PROD_CONTEXT, "atlas_access": "nat"},
}


@dataclass(frozen=True)
class Synthesized:
    stage: str
    path: Path
    json: dict[str, Any]
    template: Any  # aws_cdk.assertions.Template
    site: Path  # the static export it was synthesized with

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
    """The built site, else a stand-in, so the stack always includes the site deployment."""
    if (FRONTEND_OUT / "index.html").is_file():
        return FRONTEND_OUT
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<!doctype html><title>serverless-auth</title>")
    (site / "404.html").write_text("<!doctype html><title>Not found</title>")
    return site


def require_built_site(synth: Synthesized) -> Path:
    if synth.site != FRONTEND_OUT:
        pytest.fail(f"No frontend build in {FRONTEND_OUT}: run `make frontend` first.")
    return synth.site


@pytest.fixture(scope="session")
def synthesized(
    lambda_bundle: Bundle, site_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Synthesized]:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    stages: dict[str, Synthesized] = {}
    for name, context in STAGES.items():
        outdir = tmp_path_factory.mktemp(f"cdk-{name}")
        app, stack = build_app(
            {**context, "frontend_dir": str(site_dir)},
            bundle_zip=lambda_bundle.zip_path,
            outdir=outdir,
        )
        assembly = app.synth()
        path = Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
        document = json.loads(path.read_text())
        stages[name] = Synthesized(name, path, document, Template.from_json(document), site_dir)
    return stages


@pytest.fixture(scope="session")
def dev(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def prod(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["prod"]


@pytest.fixture(scope="session")
def prod_nat(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["prod-nat"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("infra")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")
