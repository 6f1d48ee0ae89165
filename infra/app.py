"""The CDK app: `python -m infra.app [--stage dev|prod]`, or the CDK CLI via infra/cdk.json.

Run directly, it reads the context of `infra/cdk.json` (feature flags) itself and writes
the cloud assembly to `infra/.build/cdk.out/`; under the CLI (`cdk synth -c stage=prod`) the CLI
passes both. The Lambda bundle is built first (cached; see `infra.bundle`).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.bundle import LAMBDA, build_bundle
from infra.config import ConfigError, StageConfig, stage_config
from infra.stacks.serverless_auth import ServerlessAuthStack

INFRA = Path(__file__).resolve().parent
CDK_JSON = INFRA / "cdk.json"
# Inside the dot directory: mypy and ruff, pointed at infra/, skip the staged assets.
OUTDIR = INFRA / ".build" / "cdk.out"
CONTEXT_KEYS = (
    "stage",
    "alarm_email",
    "reserved_concurrency",
    "frontend_dir",
    "jwt_issuer",
    "jwt_audience",
    "email_from",
    "ses_configuration_set",
    "require_verified_email",
    "audit_retention_days",
    "public_base_url",
    "atlas_access",
    "origin_token_rotation",
)


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(
    context: dict[str, Any] | None = None,
    *,
    bundle_zip: Path | None = None,
    outdir: Path | None = None,
) -> tuple[cdk.App, ServerlessAuthStack]:
    """The app with one stack for the stage in `context` (merged over cdk.json's)."""
    from_cli = "CDK_CONTEXT_JSON" in os.environ or "CDK_OUTDIR" in os.environ
    merged = {} if from_cli else cdk_json_context()
    merged.update(context or {})
    app_kwargs: dict[str, Any] = {"context": merged}
    if outdir is not None or not from_cli:
        app_kwargs["outdir"] = str(outdir or OUTDIR)
    app = cdk.App(**app_kwargs)
    config = stage_config(_context(app))
    if bundle_zip is None:
        bundle_zip = build_bundle(LAMBDA).zip_path
    stack = ServerlessAuthStack(
        app,
        config.stack_name,
        config=config,
        bundle_zip=bundle_zip,
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    return app, stack


def _context(app: cdk.App) -> dict[str, Any]:
    """The stage settings among the context (cdk.json, `-c key=value`, `context=`)."""
    values = {key: app.node.try_get_context(key) for key in CONTEXT_KEYS}
    return {key: value for key, value in values.items() if value is not None}


def main(argv: Sequence[str] | None = None) -> StageConfig:
    parser = argparse.ArgumentParser(prog="python -m infra.app", description=__doc__)
    parser.add_argument("--stage", choices=("dev", "prod"))
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context, as with `cdk -c` (alarm_email, reserved_concurrency, ...)",
    )
    args = parser.parse_args(argv)
    context: dict[str, Any] = {}
    for item in args.context:
        key, sep, value = item.partition("=")
        if not sep or key not in CONTEXT_KEYS:
            parser.error(f"--context: expected KEY=VALUE with KEY in {', '.join(CONTEXT_KEYS)}")
        context[key] = value
    if args.stage:
        context["stage"] = args.stage
    try:
        app, stack = build_app(context)
    except ConfigError as exc:  # a missing or bad context value: one line, no traceback
        parser.error(str(exc))
    app.synth()
    print(f"{stack.stack_name}: {app.outdir}")  # noqa: T201
    return stack.config


if __name__ == "__main__":
    main()
