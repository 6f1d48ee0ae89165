"""The embedded local store: an `nx-27017` MongoDB wire-protocol server (SQLite-backed)
run as a child process on a free loopback port, so the default local run persists data
and exercises the production Mongo adapter.

The data directory holds users' data and the local key of secrets at rest: it is kept
0700 and its files 0600 (the server runs with umask 077; files of older runs are
tightened on start)."""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

# The files the server and the app keep in the data directory (SQLite databases with their
# journals, the log, pid files, the local key); anything else there is left alone.
STORE_FILES = ("*.db", "*.db-*", "nx-27017*.log*", "nx-27017-*.pid", "secrets.key")

log = logging.getLogger("adapters.mongo.embedded")


class EmbeddedStoreError(RuntimeError):
    """The embedded server could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _executable() -> str:
    # Prefer the one installed beside this interpreter (the project's venv).
    beside = Path(sys.executable).with_name("nx-27017")
    found = str(beside) if beside.exists() else shutil.which("nx-27017")
    if not found:
        raise EmbeddedStoreError(
            "nx-27017 is not installed; run `make install` or use --storage memory"
        )
    return found


def make_private(data_dir: Path) -> None:
    """Create `data_dir` 0700, or take group and other access away from an existing one
    and from the store's files in it."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = data_dir.stat().st_mode
    if mode & stat.S_ISVTX:
        # A sticky directory (/tmp) is shared by design: tightening it would break others.
        log.warning("data_dir_shared", extra={"data_dir": str(data_dir)})
    elif mode & 0o077:
        os.chmod(data_dir, stat.S_IMODE(mode) & 0o700)
    for entry in os.scandir(data_dir):
        if not entry.is_file(follow_symlinks=False):
            continue
        if any(fnmatch.fnmatch(entry.name, pattern) for pattern in STORE_FILES):
            file_mode = entry.stat(follow_symlinks=False).st_mode
            if file_mode & 0o077:
                os.chmod(entry.path, stat.S_IMODE(file_mode) & 0o600)


class EmbeddedMongo:
    """Start with `with EmbeddedMongo(data_dir) as store: store.uri`; stopped on exit."""

    def __init__(
        self, data_dir: Path | str, host: str = "127.0.0.1", port: int | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / f"nx-27017-{self.port}.pid"

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def start(self, timeout: float = 15.0) -> None:
        make_private(self.data_dir)
        # nx-27017 refuses to start while its pid file names a process that still exists,
        # which a crashed server leaves behind (as a zombie until its parent reaps it).
        # If a live server really holds the port, binding fails and start() reports it.
        self._pid_file.unlink(missing_ok=True)
        command = [
            _executable(),
            # One SQLite file per logical database (<name>.db), isolated from each other.
            "--data-dir", str(self.data_dir),
            "--host", self.host,
            "-p", str(self.port),
            "--log-file", str(self.data_dir / "nx-27017.log"),
            "--pid-file", str(self._pid_file),
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - fixed executable, no shell
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            umask=0o077,  # every file the server creates: owner only
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedStoreError(
                    f"nx-27017 exited with code {self._process.returncode}; "
                    f"see {self.data_dir / 'nx-27017.log'}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedStoreError(f"nx-27017 did not accept connections within {timeout:.0f} s")

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Crash the server (SIGKILL), as fault tests need."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
