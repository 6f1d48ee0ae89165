"""What the browser tests share: the server and browser set-up, helpers and axe.

The fixtures built on these live in conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
)

from tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = Path(sys.executable).with_name("app")
FRONTEND_OUT = ROOT / "frontend" / "out"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
README_SCREENSHOT = ROOT / "docs" / "screenshots" / "profile.png"
# Set to 1 to refresh the README's screenshot (kept otherwise, so runs leave git clean).
UPDATE_README_SCREENSHOT = "UPDATE_README_SCREENSHOT"
JWT_SECRET = "e2e-frontend-secret-0123456789-abcdefghijklmnop"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin password for the browser tests"
# Short-lived access tokens, so the silent refresh (at 80 % of a token's life) happens
# within a test, and keeps happening during all the others.
ACCESS_TOKEN_TTL = 12
START_SECONDS = 30.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
FOREIGN = ("MONGODB_", "APP_", "JWT_", "HASHER_", "ARGON2_", "AWS_LAMBDA_", "ACCESS_TOKEN_")


@dataclass
class Site:
    base_url: str
    data_dir: Path


@dataclass
class Watched:
    """A browser page and what went wrong on it that the test did not ask for."""

    page: Page
    context: BrowserContext
    problems: list[str] = field(default_factory=list)


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


def shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- the server ------------------------------------------------------------------------


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    return {
        **env,
        "APP_DATA_DIR": str(data_dir),
        "APP_ENV": "local",
        "JWT_SECRET": JWT_SECRET,
        "ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TOKEN_TTL),
        "LOG_LEVEL": "WARNING",
        "APP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }


def require_prerequisites() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Chromium is missing: `apt-get install -y chromium` (CI's .ci/run does).")
    if not (FRONTEND_OUT / "index.html").is_file():
        pytest.fail(f"No frontend build in {FRONTEND_OUT}: run `make frontend` first.")
    return chromium


def kill_stores(data_dir: Path) -> None:
    """The embedded store runs in a session of its own: kill it if the server did not."""
    for pid_file in data_dir.glob("nx-27017-*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip() or 0)
            cmdline = Path(f"/proc/{pid}/cmdline")
            if pid and str(data_dir).encode() in cmdline.read_bytes():
                os.kill(pid, signal.SIGKILL)


def open_page(browser: Browser, site: Site, viewport: dict[str, int] = DESKTOP) -> Watched:
    context = browser.new_context(base_url=site.base_url, viewport=viewport)
    context.set_default_timeout(10_000)
    watched = Watched(context.new_page(), context)

    def on_console(message: Any) -> None:
        text = str(message.text)
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            watched.problems.append(f"CSP: {text}")

    watched.page.on("console", on_console)
    watched.page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
    return watched


# --- helpers ------------------------------------------------------------------------------


def api_sign_up(api: httpx.Client, email: str, name: str, password: str = STRONG_PASSWORD) -> Any:
    response = api.post(
        "/api/v1/auth/sign-up", json={"email": email, "password": password, "name": name}
    )
    assert response.status_code == 201, response.text
    return response.json()


def api_bearer(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = api.post("/api/v1/auth/sign-in", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sign_in(page: Page, email: str, password: str, *, lands_on: str = "/profile/") -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(lands_on) + "$"))


def refresh_cookie(context: BrowserContext) -> dict[str, Any] | None:
    return next((dict(c) for c in context.cookies() if c["name"] == "refresh_token"), None)


def alert_in(page: Page) -> Locator:
    """The page's own alert (Next's route announcer is an alert too, outside <main>)."""
    return page.get_by_role("main").get_by_role("alert")


def field_error(page: Page, field_id: str) -> str:
    return page.locator(f"#{field_id}-error").inner_text()


AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map(
                (v) => `${v.id} (${v.impact}): ${v.help}, ${v.nodes.length} nodes`,
            );
        }""",
        WCAG_AA,
    )
    return [str(v) for v in found]
