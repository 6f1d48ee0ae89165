"""schemathesis over `/schema/openapi.json` against the real `app serve` on its embedded
store: every check, positive and negative data (`--mode all`), every phase (examples,
coverage, fuzzing, stateful), once authenticated as a user and once as an admin.

Business rules the schema cannot express are declared as expected statuses in
`schemathesis.toml` beside this file, each with its reason; every other finding was a
bug, fixed and covered by tests/integration/test_http_conformance.py.

To run it alone (CI runs it as part of `uv run pytest`):
`uv run pytest tests/fuzz -q`; `FUZZ_SEED=<n>` fuzzes with another seed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.mongo.embedded import free_port

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
JWT_SECRET = "fuzz-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
ADMIN = {"email": "admin@example.com", "password": "admin fuzzing horse battery staple"}
USER = {"email": "fuzz@example.com", "password": "user fuzzing horse battery staple"}
MAX_EXAMPLES = 25  # per operation and phase: ~10 s a run, under a minute in all
SEED = os.environ.get("FUZZ_SEED", "20261125")  # fixed: a CI failure can be replayed
START_SECONDS = 30.0
RUN_SECONDS = 240
FOREIGN = ("MONGODB_", "APP_", "JWT_", "HASHER_", "ARGON2_", "AWS_LAMBDA_", "SIGN_IN_")


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    return {
        **env,
        "APP_DATA_DIR": str(data_dir),
        "APP_ENV": "local",
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "WARNING",
        # Fuzzing is not an attack: hundreds of sign-ins from one address with wrong
        # passwords would otherwise be throttled (429) and the run would test the
        # back-off instead of the API. Throttling has its own tests.
        "SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT": "1000000",
        "SIGN_IN_FREE_ATTEMPTS_PER_IP": "1000000",
    }


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`app serve` on a fresh data dir holding one admin (made by the CLI, as in
    production: there is no default admin)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    env = server_env(tmp / "data")
    created = subprocess.run(  # noqa: S603 - the project's own CLI, no shell
        [str(BIN / "app"), "users", "create-admin", "--email", ADMIN["email"]],
        env={**env, "APP_ADMIN_PASSWORD": ADMIN["password"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stderr = tmp / "serve.stderr"
    with stderr.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603
            [str(BIN / "app"), "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        wait_ready(process, url, stderr)
        yield url
    finally:
        # SIGTERM stops the server and its embedded store; SIGKILL the group if it hangs.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(process: subprocess.Popen[bytes], url: str, stderr: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app serve exited early: {stderr.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"app serve not ready in {START_SECONDS:.0f} s: {stderr.read_text()}")


def schemathesis(base_url: str, account: dict[str, str], tmp_path: Path) -> None:
    """`schemathesis run` with every check and both data modes, authenticated as
    `account` (by tests/fuzz/hooks.py); fails the test with its report otherwise."""
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{base_url}/schema/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        SEED,
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py"),
        "FUZZ_BASE_URL": base_url,
        "FUZZ_EMAIL": account["email"],
        "FUZZ_PASSWORD": account["password"],
        "NO_COLOR": "1",
    }
    run = subprocess.run(  # noqa: S603 - the pinned schemathesis CLI, no shell
        command,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    # Every phase ran and tested something: a silent skip would not prove anything.
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in run.stdout, run.stdout
    # Authenticated throughout: `GET /users/me` answers 200 to any signed-in user, so it
    # is never among the operations schemathesis saw "only 401/403" from. (As a user,
    # the admin-only routes and a wrong current password rightly are.)
    assert "- GET /api/v1/users/me\n" not in run.stdout, run.stdout


def test_schemathesis_as_a_user_finds_nothing(base_url: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        signed_up = http.post("/api/v1/auth/sign-up", json={**USER, "name": "Fuzz"})
        assert signed_up.status_code == 201, signed_up.text
    schemathesis(base_url, USER, tmp_path)


def test_schemathesis_as_an_admin_finds_nothing(base_url: str, tmp_path: Path) -> None:
    schemathesis(base_url, ADMIN, tmp_path)
