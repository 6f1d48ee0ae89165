"""Cold-start child of bench/bench.py: one fresh process, one Lambda container's first life.

Run by the parent as `python bench/coldstart_child.py <access-token>` with the bench
environment (APP_ENV, JWT_SECRET, LOG_LEVEL). It prints one `BENCH {json}` line per
phase on stdout and flushes at once, so the parent can timestamp the line's arrival:

1. `first`: the very first handler invocation, `GET /api/v1/users/me` with the token the
   parent minted. The user does not exist in this process's in-memory store, so the
   answer is 401 — after the whole cold path has run: importing the handler module,
   building the app on first invoke (settings, logging, services, Litestar), JWT
   verification and the store read.
2. `first200`: sign-up through the handler (untimed), then `GET /me` with the new
   token (timed alone): the first 200 of the process, and the peak RSS after it.

Only `http_api_event` is imported by the parent; everything else runs under `__main__`,
and the application is imported inside `main()` so its import is timed.
"""

from __future__ import annotations

import time

T_TOP = time.perf_counter()  # first statement: after interpreter start-up and `site`

import json  # noqa: E402 - timed from the top of the script on purpose
import resource  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

ME_PATH = "/api/v1/users/me"
SIGN_UP_PATH = "/api/v1/auth/sign-up"
SOURCE_IP = "203.0.113.7"


def http_api_event(
    method: str, path: str, *, token: str | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2.0) event on the `$default` stage."""
    headers = {
        "host": "abc123.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "bench",
        "accept": "application/json",
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": "bench",
            },
            "requestId": "bench-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2025:00:00:00 +0000",
            "timeEpoch": 1735689600000,
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _maxrss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def body_text(response: dict[str, Any]) -> str:
    """The response body as text (Mangum base64-encodes types it does not know as text,
    e.g. `application/problem+json`)."""
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        import base64

        return base64.b64decode(body).decode("utf-8", errors="replace")
    return str(body)


def _report(phase: str, **fields: Any) -> None:
    sys.stdout.write("BENCH " + json.dumps({"phase": phase, **fields}) + "\n")
    sys.stdout.flush()


def main(token: str) -> int:
    t_import = time.perf_counter()
    from entrypoints.lambda_handler import handler

    t_invoke = time.perf_counter()
    first = handler(http_api_event("GET", ME_PATH, token=token), None)
    t_done = time.perf_counter()
    _report(
        "first",
        status=first["statusCode"],
        body=body_text(first),
        top_to_import_ms=(t_import - T_TOP) * 1e3,
        import_handler_ms=(t_invoke - t_import) * 1e3,
        first_invoke_ms=(t_done - t_invoke) * 1e3,
        top_to_response_ms=(t_done - T_TOP) * 1e3,
        maxrss_mb=_maxrss_mb(),
        rss_mb=_current_rss_mb(),
    )

    sign_up = handler(
        http_api_event(
            "POST",
            SIGN_UP_PATH,
            body={
                "email": "cold.start@example.com",
                "password": "velvet harbor quantum meadow",
                "name": "Cold Start",
            },
        ),
        None,
    )
    if sign_up["statusCode"] != 201:
        _report("error", where="sign-up", status=sign_up["statusCode"], body=body_text(sign_up))
        return 1
    access_token = json.loads(body_text(sign_up))["tokens"]["access_token"]
    me = http_api_event("GET", ME_PATH, token=access_token)

    t_start = time.perf_counter()
    response = handler(me, None)
    t_end = time.perf_counter()
    _report(
        "first200",
        status=response["statusCode"],
        latency_ms=(t_end - t_start) * 1e3,
        maxrss_mb=_maxrss_mb(),
        rss_mb=_current_rss_mb(),
        python=sys.version.split()[0],
        bytecode_writes_disabled=sys.dont_write_bytecode,
    )
    return 0 if response["statusCode"] == 200 else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: coldstart_child.py ACCESS_TOKEN\n")
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1]))
