"""The frontend's own checks, run by pytest so that the one test command covers them:
vitest unit tests of the client logic, TypeScript strict, ESLint, and the typed API
client against the API's current OpenAPI document.

They need `node` and the frontend's dependencies (`make frontend` runs `npm ci`); a
missing one fails loudly, it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
APP = Path(sys.executable).with_name("app")


def npm_env() -> dict[str, str]:
    return {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "CI": "true", "NO_COLOR": "1"}


def require_node() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail("Node.js and npm are missing: the frontend checks need them (Node ≥ 20).")
    if not (FRONTEND / "node_modules" / ".bin" / "vitest").exists():
        pytest.fail("The frontend's dependencies are not installed: run `make frontend`.")
    return npm


def run_npm(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - npm with a fixed script name, no shell
        [require_node(), "run", "--silent", script],
        cwd=FRONTEND,
        env=npm_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_client_logic_unit_tests_pass() -> None:
    result = run_npm("test")

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_the_frontend_type_checks_under_strict_typescript() -> None:
    result = run_npm("typecheck")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_frontend_passes_eslint() -> None:
    result = run_npm("lint")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typed_api_client_matches_the_current_openapi_document() -> None:
    require_node()
    schema = subprocess.run(  # noqa: S603 - the project's own CLI
        [str(APP), "openapi"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    node = shutil.which("node") or "node"

    check = subprocess.run(  # noqa: S603 - the repository's own script
        [node, "scripts/client.mjs", "--check", "-"],
        cwd=FRONTEND,
        input=schema,
        env=npm_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert check.returncode == 0, check.stderr + "\nRegenerate it with `make client`."


def test_the_frontend_build_is_not_older_than_its_sources() -> None:
    """The browser tests run against frontend/out: it must be built from these sources."""
    built = FRONTEND / "out" / "index.html"
    if not built.is_file():
        pytest.fail("No frontend build in frontend/out: run `make frontend`.")
    sources = [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    newest = max(sources, key=lambda p: p.stat().st_mtime)

    assert newest.stat().st_mtime <= built.stat().st_mtime, (
        f"{newest.relative_to(ROOT)} changed after the last build: run `make frontend`."
    )
