"""A short run of the load test (bench/load.py) in CI: `app serve` on the embedded store,
a mix of sign-in, refresh, GET /me and PATCH from concurrent clients; no 5xx, no lost
update. The full 64-client, 30 s runs are `make load` and `make load-faults`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_load_run_has_no_server_error_and_loses_no_update(tmp_path: Path) -> None:
    report = tmp_path / "load.json"
    result = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            "bench/load.py",
            "--duration",
            "8",
            "--clients",
            "16",
            "--output",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    figures = json.loads(report.read_text())
    assert figures["lost_updates"] == []
    assert figures["transport_errors"] == {}
    assert set(figures["operations"]) == {"me", "patch", "refresh", "sign_in"}
    for row in figures["operations"].values():
        assert all(int(status) < 500 for status in row["statuses"]), row
