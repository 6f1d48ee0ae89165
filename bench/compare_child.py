"""Child of bench/compare.py: one fresh process, one Lambda handler, cold then warm.

Run as `python bench/compare_child.py ours|baseline TOKEN WARM_UP ITERATIONS`. It imports
the handler (`entrypoints.lambda_handler.handler` or `baselines.fastapi_me.handler`),
invokes it once with an HTTP API v2 `GET /api/v1/users/me` and prints `BENCH {json}` at
once, so the parent can time the cold start. With ITERATIONS > 0 it then gets a valid
token (ours: sign-up through the handler; baseline: the parent's token is valid), runs
WARM_UP untimed and ITERATIONS timed invocations, and prints a second `BENCH` line.
"""

from __future__ import annotations

import time

T_TOP = time.perf_counter()

import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

from coldstart_child import (  # noqa: E402
    ME_PATH,
    SIGN_UP_PATH,
    _current_rss_mb,
    _maxrss_mb,
    _report,
    body_text,
    http_api_event,
)


def main(kind: str, token: str, warm_up: int, iterations: int) -> int:
    t_import = time.perf_counter()
    if kind == "ours":
        from entrypoints.lambda_handler import handler
    else:
        from baselines.fastapi_me import handler
    t_invoke = time.perf_counter()
    first = handler(http_api_event("GET", ME_PATH, token=token), None)
    t_done = time.perf_counter()
    _report(
        "first",
        status=first["statusCode"],
        body=body_text(first)[:300],
        import_handler_ms=(t_invoke - t_import) * 1e3,
        first_invoke_ms=(t_done - t_invoke) * 1e3,
        top_to_response_ms=(t_done - T_TOP) * 1e3,
        maxrss_mb=_maxrss_mb(),
        rss_mb=_current_rss_mb(),
        modules=len(sys.modules),
    )
    if iterations <= 0:
        return 0
    if kind == "ours":
        signed_up = handler(
            http_api_event(
                "POST",
                SIGN_UP_PATH,
                body={
                    "email": "warm@example.com",
                    "password": "velvet harbor quantum meadow",
                    "name": "Warm",
                },
            ),
            None,
        )
        if signed_up["statusCode"] != 201:
            _report("error", where="sign-up", status=signed_up["statusCode"])
            return 1
        token = json.loads(body_text(signed_up))["tokens"]["access_token"]
    event = http_api_event("GET", ME_PATH, token=token)
    for _ in range(warm_up):
        handler(event, None)
    gc.collect()
    clock = time.perf_counter_ns
    durations: list[float] = []
    statuses: set[int] = set()
    for _ in range(iterations):
        started = clock()
        response = handler(event, None)
        durations.append((clock() - started) / 1e3)
        statuses.add(response["statusCode"])
    durations.sort()
    _report(
        "warm",
        statuses=sorted(statuses),
        median_us=statistics.median(durations),
        p99_us=durations[max(0, int(len(durations) * 0.99) - 1)],
        maxrss_mb=_maxrss_mb(),
    )
    return 0 if statuses == {200} else 1


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("ours", "baseline"):
        sys.stderr.write("usage: compare_child.py ours|baseline TOKEN WARM_UP ITERATIONS\n")
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
