"""Through the real CLI: `app serve` with its embedded store keeps users across restarts.

Each server is the installed `app` beside this interpreter, in its own session, with
its own data directory; teardown kills whatever is still running (the server's process
group and the nx-27017 child, which lives in a session of its own), so nothing leaks.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.mongo.embedded import free_port
from tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.e2e

APP = Path(sys.executable).with_name("app")
JWT_SECRET = "e2e-persistence-secret-0123456789-abcdefghijklmn"
STORE_URI = re.compile(r"embedded store: .* \(mongodb://127\.0\.0\.1:(\d+)/")
START_SECONDS = 30.0
STOP_SECONDS = 15.0
# Variables of the developer's shell that would point the server elsewhere.
FOREIGN = ("MONGODB_", "APP_", "JWT_", "HASHER_", "ARGON2_", "AWS_LAMBDA_")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base_url: str
    stderr: Path
    store_port: int
    store_pid: int


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    return {
        **env,
        "APP_DATA_DIR": str(data_dir),
        "APP_ENV": "local",
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "WARNING",
    }


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    # A zombie is dead too, just not yet reaped by its parent.
    return not (state.exists() and state.read_text().rsplit(")", 1)[1].split()[0] == "Z")


class Servers:
    """Starts `app serve` processes and cleans up after them."""

    def __init__(self, data_dir: Path, logs: Path) -> None:
        self.data_dir = data_dir
        self.logs = logs
        self.started: list[Served] = []

    def start(self) -> Served:
        n = len(self.started)
        port = free_port()
        stderr = self.logs / f"serve-{n}.stderr"
        with (self.logs / f"serve-{n}.stdout").open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(  # noqa: S603 - the project's own CLI, no shell
                [str(APP), "serve", "--port", str(port)],
                env=server_env(self.data_dir),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        served = Served(process, f"http://127.0.0.1:{port}", stderr, 0, 0)
        self.started.append(served)
        self._wait_ready(served)
        return served

    def _wait_ready(self, served: Served) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if served.process.poll() is not None:
                pytest.fail(f"app serve exited early: {served.stderr.read_text()}")
            try:
                if httpx.get(f"{served.base_url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            log = served.stderr.read_text()
            pytest.fail(f"app serve not ready in {START_SECONDS:.0f} s: {log}")
        found = STORE_URI.search(served.stderr.read_text())
        assert found, served.stderr.read_text()
        served.store_port = int(found.group(1))
        pid_file = self.data_dir / f"nx-27017-{served.store_port}.pid"
        served.store_pid = int(pid_file.read_text().strip())

    def stop(self, served: Served) -> int:
        """SIGTERM, as a service manager would, and the exit code."""
        served.process.send_signal(signal.SIGTERM)
        return served.process.wait(STOP_SECONDS)

    def cleanup(self) -> None:
        for served in self.started:
            if served.process.poll() is None:
                os.killpg(served.process.pid, signal.SIGKILL)
                served.process.wait()
        # A store outlives a killed server (it runs in a session of its own): kill each
        # one whose pid file is left, if that pid is still an nx-27017 on our data dir.
        for pid_file in self.data_dir.glob("nx-27017-*.pid"):
            pid = int(pid_file.read_text().strip() or 0)
            cmdline = Path(f"/proc/{pid}/cmdline")
            with contextlib.suppress(OSError):
                if pid and is_alive(pid) and str(self.data_dir).encode() in cmdline.read_bytes():
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Servers(tmp_path / "data", logs)
    yield started
    started.cleanup()


def test_a_user_signed_up_before_a_restart_signs_in_after_it(servers: Servers) -> None:
    credentials = {"email": "ann@example.com", "password": STRONG_PASSWORD}
    first = servers.start()
    with httpx.Client(base_url=first.base_url, timeout=10) as http:
        signed_up = http.post("/api/v1/auth/sign-up", json={**credentials, "name": "Ann"})
        assert signed_up.status_code == 201, signed_up.text
    user = signed_up.json()["user"]
    access = {"Authorization": f"Bearer {signed_up.json()['tokens']['access_token']}"}

    assert servers.stop(first) == 0, first.stderr.read_text()
    # The embedded store went down with the server: nothing listens on its port.
    assert not is_listening(first.store_port)
    assert not is_alive(first.store_pid)

    second = servers.start()
    with httpx.Client(base_url=second.base_url, timeout=10) as http:
        signed_in = http.post("/api/v1/auth/sign-in", json=credentials)
        assert signed_in.status_code == 200, signed_in.text
        me = http.get("/api/v1/users/me", headers=access)  # same JWT_SECRET, same user
        assert me.status_code == 200, me.text
        assert me.json() == user
        again = http.post("/api/v1/auth/sign-up", json={**credentials, "name": "Ann"})
        assert again.status_code == 409, again.text  # the unique index persisted too
    assert servers.stop(second) == 0, second.stderr.read_text()
    assert not is_listening(second.store_port)
