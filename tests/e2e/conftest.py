"""Fixtures of the browser tests: the real `app serve` (one per module), Chromium, a
watched tab and an API client. See browser_kit.py."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from adapters.mongo.embedded import free_port
from tests.e2e.browser_kit import (
    ADMIN_EMAIL,
    APP,
    CHROMIUM_ARGS,
    START_SECONDS,
    Site,
    Watched,
    kill_stores,
    open_page,
    require_prerequisites,
    server_env,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_prerequisites()
    data_dir = tmp_path_factory.mktemp("frontend-e2e")
    logs = data_dir / "serve.log"
    env = server_env(data_dir)
    # The admin first, while no server holds the embedded store's files.
    admin = subprocess.run(  # noqa: S603 - the project's own CLI, no shell
        [str(APP), "users", "create-admin", "--email", ADMIN_EMAIL, "--name", "Ada Admin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert admin.returncode == 0, admin.stderr
    port = free_port()
    with logs.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [str(APP), "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"app serve exited early: {logs.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"app serve not ready in {START_SECONDS:.0f} s: {logs.read_text()}")
            time.sleep(0.1)
        yield Site(base_url, data_dir)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        kill_stores(data_dir)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Browser]:
    chromium = require_prerequisites()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def tab(browser: Browser, site: Site) -> Iterator[Watched]:
    watched = open_page(browser, site)
    yield watched
    watched.context.close()
    assert watched.problems == [], "the page broke its CSP or threw"


@pytest.fixture
def api(site: Site) -> Iterator[httpx.Client]:
    """Another client of the same API (body mode), e.g. an admin in another browser."""
    with httpx.Client(base_url=site.base_url, timeout=10) as client:
        yield client
