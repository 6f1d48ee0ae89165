"""Through the real CLI: after a two-factor enrolment over HTTP, no file of the embedded
store holds the TOTP secret, every file is owner-only, and sign-in with an authenticator
code still works after a restart (the local key file persists with the data)."""

from __future__ import annotations

import base64
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.test_persistence import Served, Servers

pytestmark = pytest.mark.e2e

ACCOUNT = {"email": "ann@example.com", "password": STRONG_PASSWORD}
VERIFY_LINK = re.compile(r"/verify-email#token=([A-Za-z0-9_-]+)")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Servers(tmp_path / "data", logs)
    yield started
    started.cleanup()


def enrol(served: Served) -> pyotp.TOTP:
    with httpx.Client(base_url=served.base_url, timeout=10) as http:
        signed_up = http.post("/api/v1/auth/sign-up", json={**ACCOUNT, "name": "Ann"})
        assert signed_up.status_code == 201, signed_up.text
        token = VERIFY_LINK.findall(served.stderr.read_text())[-1]  # the console email
        assert http.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
        bearer = {"Authorization": f"Bearer {signed_up.json()['tokens']['access_token']}"}
        enrolled = http.post(
            "/api/v1/users/me/two-factor", json={"password": STRONG_PASSWORD}, headers=bearer
        )
        assert enrolled.status_code == 201, enrolled.text
        totp = pyotp.TOTP(enrolled.json()["secret"])
        # The previous step's code (within the window): each later sign-in can use a
        # later step without waiting for the clock (a step is accepted once).
        previous = totp.at(time.time() - totp.interval)
        confirmed = http.post(
            "/api/v1/users/me/two-factor/confirm", json={"code": previous}, headers=bearer
        )
        assert confirmed.status_code == 200, confirmed.text
    return totp


def sign_in(served: Served, code: str) -> httpx.Response:
    with httpx.Client(base_url=served.base_url, timeout=10) as http:
        challenged = http.post("/api/v1/auth/sign-in", json=ACCOUNT)
        assert challenged.status_code == 202, challenged.text
        return http.post(
            "/api/v1/auth/sign-in/totp",
            json={"challenge": challenged.json()["challenge"], "code": code},
        )


def assert_nowhere_in(data_dir: Path, secret: str) -> list[Path]:
    """No file under `data_dir` holds the secret, as text or as its raw key bytes."""
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    forms = {secret.encode(), secret.lower().encode(), base64.b32decode(secret)}
    for path in files:
        content = path.read_bytes()
        for form in forms:
            assert form not in content, f"{path.name} holds the TOTP secret"
    return files


def assert_owner_only(data_dir: Path, files: list[Path]) -> None:
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_the_totp_secret_is_in_no_file_of_the_embedded_store(servers: Servers) -> None:
    first = servers.start()
    totp = enrol(first)
    signed_in = sign_in(first, totp.now())
    assert signed_in.status_code == 200, signed_in.text

    files = assert_nowhere_in(servers.data_dir, totp.secret)  # while the store runs (WAL)
    names = {p.name for p in files}
    assert "secrets.key" in names
    assert "nx-27017.log" in names
    assert any(n.endswith(".pid") for n in names)
    assert any(n.endswith(".db") for n in names)
    assert_owner_only(servers.data_dir, files)
    assert servers.stop(first) == 0, first.stderr.read_text()
    assert_owner_only(servers.data_dir, assert_nowhere_in(servers.data_dir, totp.secret))

    second = servers.start()
    later = sign_in(second, totp.at(time.time() + totp.interval))
    assert later.status_code == 200, later.text
    assert servers.stop(second) == 0, second.stderr.read_text()
    assert_owner_only(servers.data_dir, assert_nowhere_in(servers.data_dir, totp.secret))
