"""Ours vs a minimal FastAPI + Mangum baseline, side by side, plus per-route throughput.

Run: `uv run --group bench python bench/compare.py [--runs 9] [--wrk-duration 10]`.
Writes bench/compare.json and prints a table with ratios (ours / baseline). The baseline
is bench/baselines/fastapi_me.py. Method: bench/REPORT.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coldstart_child import ME_PATH, SIGN_UP_PATH

from bench import (
    BENCH_DIR,
    PASSWORD,
    ROOT,
    WRK_LUA,
    BenchError,
    CpuMeter,
    app_settings,
    bench_env,
    bytecode_coverage,
    compile_bytecode,
    free_port,
    http,
    idle_check,
    local_server,
    machine_info,
    mint_token,
    run_wrk,
    step,
    stop_process_group,
    summary,
    wait_healthy,
)

CHILD = BENCH_DIR / "compare_child.py"
SIGN_IN_PATH = "/api/v1/auth/sign-in"
KINDS = ("ours", "baseline")
# Sign-in throughput: the throttle must not be what is measured.
UNTHROTTLED = {
    "SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT": "100000000",
    "SIGN_IN_FREE_ATTEMPTS_PER_IP": "100000000",
}

SIGN_IN_LUA = (
    r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email": "signin@example.com", "password": "@PASSWORD@"}'
"""
    + WRK_LUA
)


def child_env(kind: str, user_id: str) -> dict[str, str]:
    env = bench_env(keep_no_bytecode=False)
    if kind == "baseline":
        env["BASELINE_USER_ID"] = user_id
        env["PYTHONPATH"] = str(BENCH_DIR)
    return env


def child_once(
    kind: str, token: str, env: dict[str, str], iterations: int = 0, warm_up: int = 0
) -> dict[str, dict[str, Any]]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), kind, token, str(warm_up), str(iterations)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    phases: dict[str, dict[str, Any]] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("BENCH "):
                record = json.loads(line[len("BENCH ") :])
                record["arrived_ms"] = (time.perf_counter() - started) * 1e3
                phases[record["phase"]] = record
        errors = proc.stderr.read() if proc.stderr else ""
        proc.wait()
    finally:
        watchdog.cancel()
    first = phases.get("first")
    if proc.returncode != 0 or first is None:
        raise BenchError(f"{kind} child failed rc={proc.returncode} {phases} {errors[-1500:]}")
    expected = 401 if kind == "ours" else 200
    if first["status"] != expected:
        raise BenchError(f"{kind} first GET /me: expected {expected}, got {first}")
    return phases


def measure_lambda(runs: int, warm_up: int, iterations: int) -> dict[str, Any]:
    """Cold start and peak RSS over `runs` fresh children each; warm in one more child each.

    Children alternate ours / baseline so that slow drifts of the machine hit both."""
    settings = app_settings()
    user_id = uuid.uuid4().hex
    envs = {kind: child_env(kind, user_id) for kind in KINDS}

    def token() -> str:
        return mint_token(settings, user_id)

    for kind in KINDS:  # page-cache warm-up, discarded
        child_once(kind, token(), envs[kind])
    cold: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for i in range(runs):
        for kind in KINDS:
            cold[kind].append(child_once(kind, token(), envs[kind])["first"])
        step(
            f"  cold run {i + 1}/{runs}: ours {cold['ours'][-1]['arrived_ms']:.0f} ms, "
            f"baseline {cold['baseline'][-1]['arrived_ms']:.0f} ms"
        )
    out: dict[str, Any] = {}
    for kind in KINDS:
        warm = child_once(kind, token(), envs[kind], iterations, warm_up).get("warm")
        if warm is None or warm["statuses"] != [200]:
            raise BenchError(f"{kind} warm phase failed: {warm}")
        samples = cold[kind]
        out[kind] = {
            "cold_start_ms": summary([s["arrived_ms"] for s in samples]),
            "import_handler_ms": summary([s["import_handler_ms"] for s in samples]),
            "first_invoke_ms": summary([s["first_invoke_ms"] for s in samples]),
            "peak_rss_after_first_mb": summary([s["maxrss_mb"] for s in samples]),
            "modules_loaded": samples[0]["modules"],
            "first_status": samples[0]["status"],
            "warm_median_us": warm["median_us"],
            "warm_p99_us": warm["p99_us"],
            "warm_iterations": iterations,
        }
    return out


@contextmanager
def baseline_server(port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The baseline under granian with the settings `app serve` uses: ASGI, 1 worker,
    no access log, default loop and threads."""
    granian = Path(sys.executable).with_name("granian")
    command = [str(granian), "--interface", "asgi", "--workers", "1", "--no-access-log"]
    command += ["--host", "127.0.0.1", "--port", str(port), "baselines.fastapi_me:app"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=BENCH_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_process_group(proc)


def wait_up(base: str, proc: subprocess.Popen[bytes], path: str, token: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited early with code {proc.returncode}")
        try:
            if http("GET", base + path, token=token, timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"{base}{path} did not answer 200 within 30 s")


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds used so far by the live processes of a process group (the server and
    its granian worker): not yet in RUSAGE_CHILDREN, so CpuMeter would count them as
    other processes' CPU."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state ppid pgrp ...
            total += int(fields[11]) + int(fields[12])  # utime stime
    return total / os.sysconf("SC_CLK_TCK")


def measure_http(duration: int, threads: int, connections: int, sign_in: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install -y wrk)"}
    settings = app_settings()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        report = Path(tmp) / "report.lua"
        report.write_text(WRK_LUA, encoding="ascii")
        sign_in_lua = Path(tmp) / "sign_in.lua"
        sign_in_lua.write_text(SIGN_IN_LUA.replace("@PASSWORD@", PASSWORD), encoding="ascii")
        args = {"threads": threads, "connections": connections, "script": report}

        def measure(name: str, url: str, token: str | None, seconds: int, **kw: Any) -> None:
            step(f"wrk {name}: {seconds} s")
            meter = CpuMeter()
            server0, t0 = group_cpu_seconds(proc.pid), time.monotonic()
            result = run_wrk(wrk, url, token=token, duration=seconds, **{**args, **kw})
            server = (group_cpu_seconds(proc.pid) - server0) / (time.monotonic() - t0)
            other = meter.other_cores()
            result["server_cores_busy"] = server
            result["other_cores_busy"] = None if other is None else max(0.0, other - server)
            if not result["all_responses_ok"]:
                raise BenchError(f"{name}: non-2xx responses or socket errors: {result}")
            results[name] = result

        # Baseline first, then ours: same wrk settings, same server (granian, 1 worker).
        user_id = uuid.uuid4().hex
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with baseline_server(port, child_env("baseline", user_id), Path(tmp) / "b.log") as proc:
            token = mint_token(settings, user_id)
            wait_up(base, proc, ME_PATH, token)
            measure("baseline GET /me", base + ME_PATH, token, duration)

        env = {**bench_env(keep_no_bytecode=False), **UNTHROTTLED}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with local_server(port, env, Path(tmp) / "ours.log") as proc:
            wait_healthy(base, proc)
            status, body = http(
                "POST",
                base + SIGN_UP_PATH,
                body={"email": "signin@example.com", "password": PASSWORD, "name": "Load"},
                timeout=10,
            )
            if status != 201:
                raise BenchError(f"sign-up: expected 201, got {status} {body}")
            token, uid = body["tokens"]["access_token"], body["user"]["id"]
            status, _ = http(
                "POST",
                base + SIGN_IN_PATH,
                body={"email": "signin@example.com", "password": PASSWORD},
                timeout=10,
            )
            if status != 200:
                raise BenchError(f"sign-in: expected 200, got {status}")
            measure("ours GET /me", base + ME_PATH, token, duration)
            measure("ours GET /health", base + "/health", None, duration)
            measure("ours GET /api/v1/users/{id}", f"{base}/api/v1/users/{uid}", token, duration)
            if sign_in:
                measure(
                    "ours POST /auth/sign-in",
                    base + SIGN_IN_PATH,
                    None,
                    sign_in,
                    threads=1,
                    connections=8,
                    script=sign_in_lua,
                )
            if http("GET", base + ME_PATH, token=token)[0] != 200 or proc.poll() is not None:
                raise BenchError("server unhealthy after the load")
    return results


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="cold-start children per app")
    parser.add_argument("--warm-iterations", type=int, default=5000)
    parser.add_argument("--warm-up", type=int, default=500)
    parser.add_argument("--wrk-duration", type=int, default=10, help="seconds, at most 15")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=64)
    parser.add_argument("--sign-in-duration", type=int, default=10, help="0 skips sign-in")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "compare.json")
    args = parser.parse_args(argv)
    try:
        import fastapi  # noqa: F401
    except ImportError:
        parser.error("the baseline needs the bench group: uv run --group bench python ...")

    machine = machine_info()
    machine["other_cores_busy_before"] = idle_check()
    step("compiling bytecode")
    compiled = compile_bytecode()
    # compileall above covers the project and site-packages; the bench folder too:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(BENCH_DIR)],
        env=bench_env(keep_no_bytecode=False),
        check=False,
    )
    bytecode = {**compiled, **bytecode_coverage()}
    noise: dict[str, float | None] = {"before": machine["other_cores_busy_before"]}

    step("phase: lambda (cold, warm, RSS)")
    meter = CpuMeter()
    lam = measure_lambda(args.runs, args.warm_up, args.warm_iterations)
    noise["lambda"] = meter.other_cores()
    duration = max(1, min(args.wrk_duration, 15))
    if args.skip_http:
        web: dict[str, Any] = {"skipped": "--skip-http"}
    else:
        step("phase: http (wrk)")
        meter = CpuMeter()
        web = measure_http(
            duration, args.wrk_threads, args.wrk_connections, min(args.sign_in_duration, 15)
        )
        noise["http"] = meter.other_cores()

    o, b = lam["ours"], lam["baseline"]
    rows = [
        ("Cold start, median (ms)", o["cold_start_ms"]["median"], b["cold_start_ms"]["median"]),
        (
            "  import handler (ms)",
            o["import_handler_ms"]["median"],
            b["import_handler_ms"]["median"],
        ),
        ("  first invoke (ms)", o["first_invoke_ms"]["median"], b["first_invoke_ms"]["median"]),
        ("Warm invocation GET /me, median (µs)", o["warm_median_us"], b["warm_median_us"]),
        ("Warm invocation GET /me, p99 (µs)", o["warm_p99_us"], b["warm_p99_us"]),
        (
            "Peak RSS after first response (MB)",
            o["peak_rss_after_first_mb"]["median"],
            b["peak_rss_after_first_mb"]["median"],
        ),
        ("Modules loaded at first response", o["modules_loaded"], b["modules_loaded"]),
    ]
    if "skipped" not in web:
        ours_me, base_me = web["ours GET /me"], web["baseline GET /me"]
        rows += [
            (
                "Throughput GET /me, granian 1 worker (req/s)",
                ours_me["requests_per_s"],
                base_me["requests_per_s"],
            ),
            (
                "  wrk latency p50 (ms)",
                ours_me["latency_us"]["p50"] / 1e3,
                base_me["latency_us"]["p50"] / 1e3,
            ),
            (
                "  wrk latency p99 (ms)",
                ours_me["latency_us"]["p99"] / 1e3,
                base_me["latency_us"]["p99"] / 1e3,
            ),
        ]
    print()
    print(
        f"Machine: {machine.get('cpu_model', '?')}, {machine['cpu_count']} CPUs, "
        f"Python {machine['python']}"
    )
    print(f"bytecode: {bytecode['with_pyc']}/{bytecode['py_files']} .py files have a .pyc")
    header = f"{'Measurement':<48} {'ours':>10} {'baseline':>10} {'ours/base':>10}"
    print(header)
    print("-" * len(header))
    table = []
    for name, ours_value, base_value in rows:
        r = ratio(float(ours_value), float(base_value))
        table.append({"name": name, "ours": ours_value, "baseline": base_value, "ratio": r})
        print(f"{name:<48} {ours_value:>10,.1f} {base_value:>10,.1f} {r:>10.2f}")
    if "skipped" not in web:
        print()
        print("wrk runs (granian 1 worker; ours: app serve, memory store):")
        for name, result in web.items():
            lat = result["latency_us"]
            print(
                f"  {name:<34} {result['requests_per_s']:>9,.0f} req/s  "
                f"p50 {lat['p50'] / 1e3:.2f} ms  p99 {lat['p99'] / 1e3:.2f} ms  "
                f"(server {result['server_cores_busy']:.2f} cores, "
                f"others {result['other_cores_busy'] or 0:.2f})"
            )
    print(
        "Other processes' CPU (cores busy): "
        + ", ".join(f"{k} {v:.2f}" for k, v in noise.items() if v is not None)
    )
    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "bytecode": bytecode,
        "other_processes_cores_busy": noise,
        "config": vars(args) | {"output": str(args.output)},
        "lambda": lam,
        "http": web,
        "table": table,
    }
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
