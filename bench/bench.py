"""Performance figures of this machine: Lambda cold start, warm invocation, local throughput, RSS.

Run: `uv run python bench/bench.py [--runs 15] [--skip-throughput] [--strict]`.
Prints a table and writes bench/results.json. See bench/README.md for the method.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from coldstart_child import ME_PATH, SIGN_UP_PATH, body_text, http_api_event

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CHILD = BENCH_DIR / "coldstart_child.py"
PROJECT_PACKAGES = ("domain", "application", "adapters", "entrypoints", "observability")

JWT_SECRET = "bench-only-hs256-secret-not-for-any-real-use-48c"
PASSWORD = "velvet harbor quantum meadow"
# Settings the app reads from the environment: children get none but the bench's own.
APP_SETTING_PREFIXES = (
    "APP_",
    "JWT_",
    "MONGODB_",
    "ARGON2_",
    "HASHER_",
    "SIGN_IN_",
    "REFRESH_",
    "ACCESS_TOKEN_",
    "PASSWORD_MIN_",
    "LOG_LEVEL",
    "AWS_LAMBDA_",
    "TRACER",
    "METRICS",
    "OTEL_",
    "SERVICE_NAME",
)
TRACERS = ("none", "xray", "otel")
# What the Lambda runtime sets for a traced invocation: the X-Ray SDK's Lambda mode keys
# on LAMBDA_TASK_ROOT, and both tracers continue the trace of _X_AMZN_TRACE_ID.
LAMBDA_TRACE_ENV = {
    "LAMBDA_TASK_ROOT": str(ROOT),
    "_X_AMZN_TRACE_ID": (
        "Root=1-65f2a7c4-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1"
    ),
}

TARGETS: dict[str, tuple[str, float]] = {
    # key: (comparison, limit)
    "cold_start_ms": ("<=", 350.0),
    "warm_median_us": ("<=", 250.0),
    "throughput_rps": (">=", 8000.0),
    "rss_mb": ("<=", 90.0),
}

# Other processes using more than this many cores on average make a phase "noisy".
NOISY_CORES = 0.25

WRK_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_WRK {"requests": %d, "duration_us": %d, "bytes": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


class BenchError(RuntimeError):
    """A measurement could not be taken as specified (wrong status, dead server...)."""


# --------------------------------------------------------------------------- helpers


def bench_env(*, keep_no_bytecode: bool, tracer: str = "none") -> dict[str, str]:
    """Environment of every child: test settings, quiet logs, no stray app settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_SETTING_PREFIXES)}
    if not keep_no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The in-memory store: the figures are the app's, not a database's.
    env.update(APP_ENV="test", APP_STORAGE="memory", JWT_SECRET=JWT_SECRET, LOG_LEVEL="WARNING")
    env.update(TRACER=tracer, **LAMBDA_TRACE_ENV)
    return env


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "p90": percentile(values, 90),
        "mean": statistics.fmean(values),
        "n": len(values),
    }


class CpuMeter:
    """CPU used by processes other than this bench and its children, from /proc/stat.

    This machine may be shared (other builds and test runs): their CPU time inflates
    every figure here, so it is measured and reported beside them.
    """

    def __init__(self) -> None:
        self.available = Path("/proc/stat").exists()
        self._start = self._sample()

    @staticmethod
    def _busy_seconds() -> float:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
        values = [int(v) for v in fields]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        # guest time is already counted in user/nice
        return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_seconds() -> float:
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total

    def _sample(self) -> tuple[float, float, float]:
        busy = self._busy_seconds() if self.available else 0.0
        return time.monotonic(), busy, self._own_seconds()

    def other_cores(self) -> float | None:
        """Average number of cores that other processes kept busy since the start."""
        if not self.available:
            return None
        t0, busy0, own0 = self._start
        t1, busy1, own1 = self._sample()
        other = (busy1 - busy0) - (own1 - own0)
        return max(0.0, other) / max(t1 - t0, 1e-9)


def idle_check(seconds: float = 1.0) -> float | None:
    """Cores busy with other processes over a short quiet sample before measuring."""
    meter = CpuMeter()
    time.sleep(seconds)
    return meter.other_cores()


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    for path, key, field in (
        ("/proc/cpuinfo", "cpu_model", "model name"),
        ("/proc/meminfo", "mem_total", "MemTotal"),
    ):
        try:
            for line in Path(path).read_text(encoding="ascii", errors="replace").splitlines():
                if line.startswith(field):
                    info[key] = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
    return info


def step(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- bytecode


def bytecode_dirs() -> list[Path]:
    dirs = [ROOT / p for p in PROJECT_PACKAGES]
    for key in ("purelib", "platlib"):
        path = Path(sysconfig.get_paths()[key])
        if path not in dirs:
            dirs.append(path)
    return dirs


def compile_bytecode() -> dict[str, Any]:
    """`python -m compileall` over the project and site-packages, with bytecode writes on."""
    env = bench_env(keep_no_bytecode=False)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *map(str, bytecode_dirs())],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    failures = [line for line in result.stdout.splitlines() if line.startswith("***")]
    return {
        "ran": True,
        "seconds": round(time.perf_counter() - started, 1),
        "returncode": result.returncode,
        "files_failed": len(failures),
    }


def bytecode_coverage() -> dict[str, Any]:
    """How many .py files under the import roots have an up-to-date-looking .pyc."""
    import importlib.util

    total = cached = 0
    for root in bytecode_dirs():
        for source in root.rglob("*.py"):
            total += 1
            try:
                if Path(importlib.util.cache_from_source(str(source))).exists():
                    cached += 1
            except ValueError:
                pass
    return {"py_files": total, "with_pyc": cached, "fraction": round(cached / max(total, 1), 3)}


# --------------------------------------------------------------------------- tokens


def app_settings() -> Any:
    from entrypoints.settings import load_settings

    return load_settings(bench_env(keep_no_bytecode=False))


def mint_token(settings: Any, subject: str, version: int = 1, role: str = "user") -> str:
    """An access token as adapters/security/jwt_tokens.py issues it, minted with pyjwt."""
    now = int(time.time())
    payload = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
        "role": role,
        "ver": version,
        "sid": uuid.uuid4().hex,
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256", headers={"typ": "at+jwt"})


# --------------------------------------------------------------------------- 1 + 4: cold start


def interpreter_baseline(runs: int, env: dict[str, str]) -> dict[str, float]:
    """Wall time of `python -c pass` (interpreter + site + the venv's .pth files)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        times.append((time.perf_counter() - started) * 1e3)
    return summary(times)


def cold_start_once(token: str, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryFile(mode="w+") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), token],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        watchdog = threading.Timer(60, proc.kill)
        watchdog.start()
        phases: dict[str, dict[str, Any]] = {}
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if not line.startswith("BENCH "):
                    continue
                arrived = time.perf_counter()
                record = json.loads(line[len("BENCH ") :])
                record["arrived_ms"] = (arrived - started) * 1e3
                phases[record["phase"]] = record
            proc.wait()
        finally:
            watchdog.cancel()
        stderr.seek(0)
        errors = stderr.read()
    first, ok = phases.get("first"), phases.get("first200")
    if first is None or ok is None or proc.returncode != 0:
        raise BenchError(
            f"cold-start child failed (rc={proc.returncode}, phases={phases}): {errors[-2000:]}"
        )
    if first["status"] != 401 or "unauthenticated" not in first["body"]:
        raise BenchError(f"first invocation: expected 401 unauthenticated, got {first}")
    if ok["status"] != 200:
        raise BenchError(f"first GET /me after sign-up: expected 200, got {ok}")
    return {
        "cold_start_ms": first["arrived_ms"],
        "child_top_to_import_ms": first["top_to_import_ms"],
        "child_import_handler_ms": first["import_handler_ms"],
        "child_first_invoke_ms": first["first_invoke_ms"],
        "child_top_to_response_ms": first["top_to_response_ms"],
        "maxrss_after_first_mb": first["maxrss_mb"],
        "first200_latency_ms": ok["latency_ms"],
        "maxrss_after_first200_mb": ok["maxrss_mb"],
        "rss_after_first200_mb": ok["rss_mb"],
        "child_python": ok["python"],
        "child_bytecode_writes_disabled": ok["bytecode_writes_disabled"],
    }


def measure_cold_start(runs: int, env: dict[str, str]) -> dict[str, Any]:
    settings = app_settings()
    step("cold start: 1 discarded warm-up child (page cache), then measuring")
    cold_start_once(mint_token(settings, uuid.uuid4().hex), env)
    samples = []
    for i in range(runs):
        samples.append(cold_start_once(mint_token(settings, uuid.uuid4().hex), env))
        step(f"  run {i + 1}/{runs}: {samples[-1]['cold_start_ms']:.1f} ms")
    figures = {
        key: summary([s[key] for s in samples])
        for key in samples[0]
        if isinstance(samples[0][key], float)
    }
    baseline = interpreter_baseline(runs, env)
    return {
        "runs": runs,
        "first_status": 401,
        "figures": figures,
        "interpreter_baseline_ms": baseline,
        "child_python": samples[0]["child_python"],
        "child_bytecode_writes_disabled": samples[0]["child_bytecode_writes_disabled"],
        "samples_ms": [round(s["cold_start_ms"], 2) for s in samples],
    }


# --------------------------------------------------------------------------- 2: warm


def measure_warm(iterations: int, warm_up: int, tracer: str) -> dict[str, Any]:
    import gc

    os.environ.update(bench_env(keep_no_bytecode=True, tracer=tracer))
    from entrypoints.lambda_handler import handler

    settings = app_settings()
    sign_up = handler(
        http_api_event(
            "POST",
            SIGN_UP_PATH,
            body={"email": "warm@example.com", "password": PASSWORD, "name": "Warm"},
        ),
        None,
    )
    if sign_up["statusCode"] != 201:
        raise BenchError(f"warm sign-up: expected 201, got {sign_up}")
    body = json.loads(body_text(sign_up))
    # The cold-start child's first 401 is only meaningful if a token minted like this one
    # passes verification: check it against a user that exists.
    minted = handler(
        http_api_event("GET", ME_PATH, token=mint_token(settings, body["user"]["id"])), None
    )
    if minted["statusCode"] != 200:
        raise BenchError(f"a parent-minted token was rejected: {minted}")
    event = http_api_event("GET", ME_PATH, token=body["tokens"]["access_token"])

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
    if statuses != {200}:
        raise BenchError(f"warm invocations returned {sorted(statuses)}, expected only 200")
    return {
        "iterations": iterations,
        "warm_up": warm_up,
        "minted_token_accepted": True,
        "median_us": statistics.median(durations),
        "p90_us": percentile(durations, 90),
        "p99_us": percentile(durations, 99),
        "mean_us": statistics.fmean(durations),
        "min_us": min(durations),
        "max_us": max(durations),
    }


# --------------------------------------------------------------------------- 3: throughput


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(
    method: str, url: str, *, token: str | None = None, body: Any = None, timeout: float = 5
) -> tuple[int, Any]:
    headers = {"accept": "application/json"}
    data = None
    if token:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@contextmanager
def local_server(port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    app_bin = Path(sys.executable).with_name("app")
    command = (
        [str(app_bin), "serve", "--port", str(port)]
        if app_bin.exists()
        else [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port)]
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's whole process group (granian forks a worker), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
            # The leader is gone; make sure no worker of its group survives it.
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
        break


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise BenchError(f"server exited early with code {proc.returncode}")
        try:
            status, _ = http("GET", f"{base}/health", timeout=1)
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"server not healthy within {timeout} s")


def run_wrk(
    wrk: str,
    url: str,
    *,
    token: str | None,
    duration: int,
    threads: int,
    connections: int,
    script: Path,
) -> dict[str, Any]:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "2s"]
    command += ["-s", str(script)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + 10, check=False
    )
    report = next(
        (line for line in result.stdout.splitlines() if line.startswith("BENCH_WRK ")), None
    )
    if result.returncode != 0 or report is None:
        raise BenchError(f"wrk failed (rc={result.returncode}): {result.stderr or result.stdout}")
    stats = json.loads(report[len("BENCH_WRK ") :])
    socket_errors = sum(v for k, v in stats["errors"].items() if k != "status")
    return {
        "command": f"wrk -t{threads} -c{connections} -d{duration}s {url}",
        "requests": stats["requests"],
        "requests_per_s": stats["requests"] / (stats["duration_us"] / 1e6),
        "latency_us": stats["latency_us"],
        "non_2xx_3xx": stats["errors"]["status"],
        "wrk_errors": stats["errors"],
        "all_responses_ok": stats["errors"]["status"] == 0 and socket_errors == 0,
    }


def measure_throughput(
    duration: int, threads: int, connections: int, env: dict[str, str], *, reference: bool
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install -y wrk); throughput row skipped"}
    duration = max(1, min(duration, 15))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_LUA, encoding="ascii")
        log = Path(tmp) / "server.log"
        with local_server(port, env, log) as proc:
            try:
                ready_s = wait_healthy(base, proc)
                status, body = http(
                    "POST",
                    f"{base}{SIGN_UP_PATH}",
                    body={"email": "load@example.com", "password": PASSWORD, "name": "Load"},
                    timeout=10,
                )
                if status != 201:
                    raise BenchError(f"sign-up over HTTP: expected 201, got {status} {body}")
                token = body["tokens"]["access_token"]
                status, _ = http("GET", f"{base}{ME_PATH}", token=token)
                if status != 200:
                    raise BenchError(f"GET /me before load: expected 200, got {status}")
                wrk_args = {"threads": threads, "connections": connections, "script": script}
                step(f"throughput: wrk -t{threads} -c{connections} -d{duration}s {ME_PATH}")
                me = run_wrk(wrk, f"{base}{ME_PATH}", token=token, duration=duration, **wrk_args)
                after, _ = http("GET", f"{base}{ME_PATH}", token=token)
                health = None
                if reference:
                    short = max(1, min(5, duration))
                    step(f"throughput reference: wrk -d{short}s /health (no auth, no store)")
                    health = run_wrk(wrk, f"{base}/health", token=None, duration=short, **wrk_args)
                alive = proc.poll() is None
            except BaseException:
                server_log = log.read_text(errors="replace")[-2000:]
                step(f"server log tail:\n{server_log}")
                raise
    return {
        **me,
        "server": "app serve (granian, 1 worker), in-memory store",
        "server_ready_s": round(ready_s, 2),
        "status_after_load": after,
        "server_alive_after_load": alive,
        "health_reference": health,
    }


# --------------------------------------------------------------------------- report


def check(key: str, value: float | None) -> bool | None:
    if value is None:
        return None
    op, limit = TARGETS[key]
    return value <= limit if op == "<=" else value >= limit


def build_rows(
    cold: dict[str, Any], warm: dict[str, Any], load: dict[str, Any]
) -> list[dict[str, Any]]:
    f = cold["figures"]
    load_ok = "skipped" not in load
    rps = load["requests_per_s"] if load_ok else None
    rps_valid = load_ok and load["all_responses_ok"] and load["status_after_load"] == 200
    rows = [
        {
            "name": "Cold start, spawn -> first Lambda response (401), median",
            "key": "cold_start_ms",
            "value": f["cold_start_ms"]["median"],
            "unit": "ms",
        },
        {
            "name": "  min / p90 / max of the cold starts",
            "value": (
                f"{f['cold_start_ms']['min']:.1f} / {f['cold_start_ms']['p90']:.1f} / "
                f"{f['cold_start_ms']['max']:.1f}"
            ),
            "unit": "ms",
        },
        {
            "name": "  interpreter baseline (`python -c pass`), median",
            "value": cold["interpreter_baseline_ms"]["median"],
            "unit": "ms",
        },
        {
            "name": "  in child: import entrypoints.lambda_handler, median",
            "value": f["child_import_handler_ms"]["median"],
            "unit": "ms",
        },
        {
            "name": "  in child: first invoke (build app + request), median",
            "value": f["child_first_invoke_ms"]["median"],
            "unit": "ms",
        },
        {
            "name": "First 200 GET /me in a fresh process (after sign-up), median",
            "value": f["first200_latency_ms"]["median"],
            "unit": "ms",
        },
        {
            "name": "Warm Lambda invocation GET /me (200), median",
            "key": "warm_median_us",
            "value": warm["median_us"],
            "unit": "µs",
        },
        {"name": "  warm p99", "value": warm["p99_us"], "unit": "µs"},
        {
            "name": "Local server throughput GET /me (granian, 1 worker)",
            "key": "throughput_rps",
            "value": rps,
            "unit": "req/s",
            "note": load.get("skipped")
            or ("" if rps_valid else "INVALID: non-200 responses or socket errors"),
        },
    ]
    if load_ok:
        lat = load["latency_us"]
        rows.append(
            {
                "name": "  wrk latency p50 / p99",
                "value": f"{lat['p50'] / 1e3:.2f} / {lat['p99'] / 1e3:.2f}",
                "unit": "ms",
            }
        )
        health = load.get("health_reference")
        if health:
            rows.append(
                {
                    "name": "  reference: GET /health on the same server",
                    "value": health["requests_per_s"],
                    "unit": "req/s",
                }
            )
    rows += [
        {
            "name": "Peak RSS after the first 200 (ru_maxrss), median",
            "key": "rss_mb",
            "value": f["maxrss_after_first200_mb"]["median"],
            "unit": "MB",
        },
        {
            "name": "  peak RSS after the first (401) response",
            "value": f["maxrss_after_first_mb"]["median"],
            "unit": "MB",
        },
        {
            "name": "  current RSS after the first 200 (VmRSS)",
            "value": f["rss_after_first200_mb"]["median"],
            "unit": "MB",
        },
    ]
    for row in rows:
        key = row.get("key")
        if key:
            op, limit = TARGETS[key]
            row["target"] = f"{op} {limit:g}"
            passed = check(key, row["value"])
            if key == "throughput_rps" and load_ok and not rps_valid:
                passed = False
            row["pass"] = passed
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.1f}"
        return str(value)

    header = ("Measurement", "Value", "Unit", "Target", "Result")
    table = [
        (
            row["name"],
            fmt(row["value"]),
            row["unit"],
            row.get("target", ""),
            {True: "PASS", False: "FAIL", None: "SKIP"}[row["pass"]] if "pass" in row else "",
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for r in table:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1])]
        cells += [c.ljust(w) for c, w in zip(r[2:], widths[2:], strict=True)]
        print("  ".join(cells).rstrip())
    print(line)
    for row in rows:
        if row.get("note"):
            print(f"note: {row['name'].strip()}: {row['note']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold-start children (default 15)")
    parser.add_argument("--warm-iterations", type=int, default=5000)
    parser.add_argument("--warm-up", type=int, default=500)
    parser.add_argument("--wrk-duration", type=int, default=10, help="seconds, at most 15")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=64)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the 5 s GET /health reference run on the local server",
    )
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="skip compileall and keep PYTHONDONTWRITEBYTECODE in children "
        "(measures whatever .pyc already exist; see the bytecode line)",
    )
    parser.add_argument(
        "--tracer",
        choices=TRACERS,
        default="none",
        help="TRACER of the measured app (default none); see bench/README.md",
    )
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warm_iterations < 1:
        parser.error("--runs and --warm-iterations must be positive")

    started = time.perf_counter()
    machine = machine_info()
    machine["other_cores_busy_before"] = idle_check()
    if args.no_compile:
        compiled: dict[str, Any] = {"ran": False}
    else:
        step("compiling bytecode (compileall over the project and site-packages)")
        compiled = compile_bytecode()
    coverage = bytecode_coverage()
    bytecode = {**compiled, **coverage}
    bytecode_line = (
        f"bytecode: compileall {'ran' if compiled['ran'] else 'skipped'}; "
        f"{coverage['with_pyc']}/{coverage['py_files']} .py files have a .pyc "
        f"({coverage['fraction']:.0%})"
    )
    step(bytecode_line)

    env = bench_env(keep_no_bytecode=args.no_compile, tracer=args.tracer)
    phases: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("cold", lambda: measure_cold_start(args.runs, env)),
        (
            "throughput",
            lambda: {"skipped": "--skip-throughput"}
            if args.skip_throughput
            else measure_throughput(
                args.wrk_duration,
                args.wrk_threads,
                args.wrk_connections,
                env,
                reference=not args.no_reference,
            ),
        ),
        # Last: it imports and builds the app inside this process.
        ("warm", lambda: measure_warm(args.warm_iterations, args.warm_up, args.tracer)),
    ]
    results: dict[str, dict[str, Any]] = {}
    noise: dict[str, float | None] = {"before": machine["other_cores_busy_before"]}
    for name, run in phases:
        step(f"phase: {name}")
        meter = CpuMeter()
        results[name] = run()
        # A skipped phase lasts microseconds: its CPU share is meaningless.
        noise[name] = None if "skipped" in results[name] else meter.other_cores()
    load = results["throughput"]
    if "skipped" in load:
        step(load["skipped"])

    rows = build_rows(results["cold"], results["warm"], load)
    print()
    print(
        f"Machine: {machine.get('cpu_model', '?')}, {machine['cpu_count']} CPUs, "
        f"Python {machine['python']}, {machine['platform']}"
    )
    print(bytecode_line)
    print(
        f"Cold start: {args.runs} fresh processes, first event = HTTP API v2 GET {ME_PATH} "
        "with a parent-minted token (401: user unknown to the fresh in-memory store); "
        f"TRACER={args.tracer}"
    )
    print_table(rows)
    cores = machine.get("cpus_usable") or machine["cpu_count"]
    noise_text = ", ".join(
        f"{name} {'?' if value is None else f'{value:.2f}'}" for name, value in noise.items()
    )
    print(f"Other processes' CPU (cores busy, of {cores}): {noise_text}")
    noisy = [name for name, value in noise.items() if value is not None and value > NOISY_CORES]
    if noisy:
        print(
            f"WARNING: the machine was busy during {', '.join(noisy)}: those figures are "
            "inflated by CPU contention; re-run on a quiet machine before comparing."
        )

    targeted = [r for r in rows if "pass" in r]
    missed = [r["name"] for r in targeted if r["pass"] is False]
    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
        "machine": machine,
        "bytecode": bytecode,
        "other_processes_cores_busy": noise,
        "config": {
            "runs": args.runs,
            "warm_iterations": args.warm_iterations,
            "warm_up": args.warm_up,
            "wrk": {
                "threads": args.wrk_threads,
                "connections": args.wrk_connections,
                "duration_s": min(args.wrk_duration, 15),
            },
            "child_env": {
                "APP_ENV": "test",
                "APP_STORAGE": "memory",
                "LOG_LEVEL": "WARNING",
                "JWT_SECRET": "<48 chars>",
                "TRACER": args.tracer,
                "PYTHONDONTWRITEBYTECODE": "kept" if args.no_compile else "unset",
            },
        },
        "targets": {k: {"op": op, "limit": limit} for k, (op, limit) in TARGETS.items()},
        "figures": {
            "cold_start": results["cold"],
            "warm": results["warm"],
            "throughput": load,
        },
        "rows": [
            {k: row.get(k) for k in ("name", "key", "value", "unit", "target", "pass", "note")}
            for row in rows
        ],
        "all_targets_met": not missed,
    }
    args.output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"wrote {shown}")
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
