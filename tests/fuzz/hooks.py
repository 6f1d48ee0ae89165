"""schemathesis hooks of tests/fuzz/test_schemathesis.py (loaded through
SCHEMATHESIS_HOOKS by the `schemathesis run` it starts).

The bearer token comes from signing in as the run's account (FUZZ_EMAIL and
FUZZ_PASSWORD against FUZZ_BASE_URL) and is fetched again on a 401: the fuzzer may
legitimately end its own session (DELETE of its own id, which the stateful phase
finds through `GET /users/me`), and the rest of the run must stay authenticated. A
deleted user signs up again under the same email.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import schemathesis


@schemathesis.auth(retry_on=[401])
class BearerToken:
    def get(self, case: Any, ctx: Any) -> str:
        base = os.environ["FUZZ_BASE_URL"]
        account = {"email": os.environ["FUZZ_EMAIL"], "password": os.environ["FUZZ_PASSWORD"]}
        with httpx.Client(base_url=base, timeout=30) as http:
            signed_in = http.post("/api/v1/auth/sign-in", json=account)
            if signed_in.status_code == 200:
                return str(signed_in.json()["access_token"])
            signed_up = http.post("/api/v1/auth/sign-up", json={**account, "name": "Fuzz"})
            signed_up.raise_for_status()
            return str(signed_up.json()["tokens"]["access_token"])

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
