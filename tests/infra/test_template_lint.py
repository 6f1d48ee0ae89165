"""cfn-lint and checkov over the synthesized templates (offline): zero failures, and every
skipped check carries a written reason in the template beside its resource."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.stacks.compliance import MIN_REASON_LENGTH
from tests.infra.conftest import REPORT, Synthesized

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    assert path.is_file(), f"{name} is not installed in the virtualenv (infra group)"
    return str(path)


def test_cfn_lint_finds_nothing_in_any_stage(synthesized: dict[str, Synthesized]) -> None:
    paths = [str(s.path) for s in synthesized.values()]
    result = subprocess.run(  # noqa: S603
        [_tool("cfn-lint"), "--format", "json", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert result.returncode == 0, result.stderr
    REPORT["cfn-lint"] = f"{len(paths)} templates, 0 findings"


def _checkov(path: Path) -> dict[str, Any]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "WARNING"}
    result = subprocess.run(  # noqa: S603
        [
            _tool("checkov"),
            "--skip-download",
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "-f",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("stage", ["dev", "prod", "prod-nat"])
def test_checkov_fails_no_check_and_every_skip_has_a_reason(
    synthesized: dict[str, Synthesized], stage: str
) -> None:
    report = _checkov(synthesized[stage].path)
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["passed"] > 50
    for check in report["results"]["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason) >= MIN_REASON_LENGTH, (check["check_id"], check["resource"])
    REPORT[f"checkov {stage}"] = (
        f"passed {summary['passed']}, failed {summary['failed']}, skipped {summary['skipped']}"
    )


def test_every_checkov_skip_in_the_templates_is_written_down(
    synthesized: dict[str, Synthesized],
) -> None:
    for synth in synthesized.values():
        for name, resource in synth.json["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip["comment"]) >= MIN_REASON_LENGTH, (name, skip)
            cfn_lint = resource.get("Metadata", {}).get("cfn-lint")
            if cfn_lint:
                assert set(cfn_lint["config"]["ignore_checks"]) == set(cfn_lint["reasons"])
