"""Bounded load test of `app serve` on the embedded store, with optional store faults.

Run: `uv run python bench/load.py [--duration 30] [--clients 64] [--kill-store-at 10]`.

Each of N clients owns one user and loops over a weighted mix of GET /me, PATCH
/{id} (with If-Match), refresh and sign-in for a fixed time (at most 60 s). Afterwards
every user is read back: its name must be the last one a 200 acknowledged, or one of
the later attempts whose answer was lost (a 503 may come after the write landed);
anything else is a lost update. With `--kill-store-at T`, the embedded nx-27017 process
is killed T seconds in and restarted `--restart-after` seconds later on the same port and
data directory: requests in between must be 503s, and the service must recover alone.
Prints a table and writes bench/load.json; exits 1 on a lost update or a 5xx other
than 503 (or any 503 when no fault was injected).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from adapters.mongo.embedded import EmbeddedMongo, free_port

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PASSWORD = "velvet harbor quantum meadow"
MIX = [("me", 60), ("patch", 20), ("refresh", 15), ("sign_in", 5)]
STORE_URI = re.compile(r"embedded store: .* \(mongodb://127\.0\.0\.1:(\d+)/")


@dataclass
class Client:
    n: int
    email: str
    user_id: str = ""
    access: str = ""
    refresh: str = ""
    etag: str = ""
    acked_name: str = ""
    unacked_after_ack: list[str] = field(default_factory=list)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def record(self, op: str, status: int, seconds: float) -> None:
        self.latencies[op].append(seconds * 1000)
        self.statuses[op][status] += 1


async def call(
    http: httpx.AsyncClient, stats: Stats, op: str, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await http.request(method, url, **kw)
    except httpx.HTTPError as exc:
        stats.errors[f"{op}:{type(exc).__name__}"] += 1
        return None
    stats.record(op, response.status_code, time.perf_counter() - started)
    return response


def take_tokens(client: Client, body: dict[str, Any]) -> None:
    client.access, client.refresh = body["access_token"], body["refresh_token"]


async def step(
    http: httpx.AsyncClient, stats: Stats, client: Client, op: str, rng: random.Random
) -> None:
    auth = {"authorization": f"Bearer {client.access}"}
    if op == "me":
        response = await call(http, stats, op, "GET", "/api/v1/users/me", headers=auth)
        if response is not None and response.status_code == 200:
            client.etag = response.headers["etag"]
    elif op == "patch":
        name = f"Client {client.n} #{rng.randrange(10**9)}"
        response = await call(
            http, stats, op, "PATCH", f"/api/v1/users/{client.user_id}",
            headers={**auth, "if-match": client.etag}, json={"name": name},
        )  # fmt: skip
        if response is not None and response.status_code == 200:
            client.etag, client.acked_name, client.unacked_after_ack = (
                response.headers["etag"],
                name,
                [],
            )
        elif response is None or response.status_code >= 500:
            client.unacked_after_ack.append(name)
        elif response.status_code == 412:  # our ETag is stale after a lost answer: re-read
            await step(http, stats, client, "me", rng)
    elif op == "refresh":
        response = await call(
            http, stats, op, "POST", "/api/v1/auth/refresh", json={"refresh_token": client.refresh}
        )
        if response is not None and response.status_code == 200:
            take_tokens(client, response.json())
        elif (
            response is not None and response.status_code == 401
        ):  # answer lost earlier: sign in again
            await step(http, stats, client, "sign_in", rng)
    else:
        response = await call(
            http,
            stats,
            op,
            "POST",
            "/api/v1/auth/sign-in",
            json={"email": client.email, "password": PASSWORD},
        )
        if response is not None and response.status_code == 200:
            take_tokens(client, response.json())


async def worker(
    http: httpx.AsyncClient, stats: Stats, client: Client, deadline: float, seed: int
) -> None:
    rng = random.Random(seed)
    ops, weights = zip(*MIX, strict=True)
    while time.monotonic() < deadline:
        await step(http, stats, client, rng.choices(ops, weights)[0], rng)


async def sign_up(http: httpx.AsyncClient, client: Client) -> None:
    body = {"email": client.email, "password": PASSWORD, "name": f"Client {client.n}"}
    response = await http.post("/api/v1/auth/sign-up", json=body)
    response.raise_for_status()
    data = response.json()
    client.user_id, client.acked_name = data["user"]["id"], data["user"]["name"]
    take_tokens(client, data["tokens"])
    me = await http.get("/api/v1/users/me", headers={"authorization": f"Bearer {client.access}"})
    client.etag = me.headers["etag"]


async def verify(http: httpx.AsyncClient, clients: list[Client]) -> list[str]:
    """Every user must hold the last acknowledged name or a later unacknowledged one."""
    lost = []
    for client in clients:
        await step(http, Stats(), client, "sign_in", random.Random(0))
        me = (
            await http.get("/api/v1/users/me", headers={"authorization": f"Bearer {client.access}"})
        ).json()
        if me["name"] != client.acked_name and me["name"] not in client.unacked_after_ack:
            lost.append(
                f"{client.email}: stored {me['name']!r}, acknowledged {client.acked_name!r}"
            )
    return lost


async def inject_fault(
    store: EmbeddedMongo, kill_at: float, restart_after: float, log: list[str]
) -> None:
    await asyncio.sleep(kill_at)
    pid_file = store.data_dir / f"nx-27017-{store.port}.pid"
    os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
    log.append(f"store killed at {kill_at:.0f} s")
    await asyncio.sleep(restart_after)
    store.start()
    log.append(f"store restarted at {kill_at + restart_after:.0f} s")


async def run(args: argparse.Namespace, base: str, store: EmbeddedMongo) -> dict[str, Any]:
    clients = [Client(n, f"load{n}@example.com") for n in range(args.clients)]
    limits = httpx.Limits(max_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
        for batch in range(0, len(clients), 8):
            await asyncio.gather(*(sign_up(http, c) for c in clients[batch : batch + 8]))
        stats, fault_log = Stats(), []
        deadline = time.monotonic() + args.duration
        tasks = [worker(http, stats, c, deadline, seed=c.n) for c in clients]
        if args.kill_store_at is not None:
            tasks.append(inject_fault(store, args.kill_store_at, args.restart_after, fault_log))
        started = time.monotonic()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        lost = await verify(http, clients)
    total = sum(len(v) for v in stats.latencies.values())
    return {
        "clients": args.clients,
        "duration_s": round(elapsed, 1),
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "faults": fault_log,
        "lost_updates": lost,
        "transport_errors": dict(stats.errors),
        "operations": {
            op: {
                "count": len(ms),
                "statuses": dict(sorted(stats.statuses[op].items())),
                "p50_ms": round(statistics.median(ms), 2),
                "p95_ms": round(sorted(ms)[int(len(ms) * 0.95) - 1], 2),
                "p99_ms": round(sorted(ms)[int(len(ms) * 0.99) - 1], 2),
            }
            for op, ms in sorted(stats.latencies.items())
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds, at most 60")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--kill-store-at", type=float, help="kill the embedded store after N s")
    parser.add_argument("--restart-after", type=float, default=3)
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "load.json")
    args = parser.parse_args()
    args.duration = min(args.duration, 60)
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "APP_ENV": "local",
            "APP_DATA_DIR": data_dir,
            "JWT_SECRET": "load-test-only-hs256-secret-not-for-real-use-48c",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("APP_STORAGE", None)
        app = [str(Path(sys.executable).with_name("app")), "serve", "--port", str(port)]
        server = subprocess.Popen(
            app, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            store_port = None
            for line in server.stderr:  # type: ignore[union-attr]
                if match := STORE_URI.search(line):
                    store_port = int(match.group(1))
                if "serving on" in line:
                    break
            # Keep draining the server's stderr so it can never block on a full pipe.
            threading.Thread(target=server.stderr.read, daemon=True).start()  # type: ignore[union-attr]
            if store_port is None:
                print("the server did not report its embedded store", file=sys.stderr)
                return 2
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            store = EmbeddedMongo(data_dir, port=store_port)
            report = asyncio.run(run(args, base, store))
            if args.kill_store_at is not None:
                store.stop()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(15)
    print_report(report)
    args.output.write_text(json.dumps(report, indent=2))
    return 1 if failures(report, faulty=args.kill_store_at is not None) else 0


def failures(report: dict[str, Any], *, faulty: bool) -> list[str]:
    found = list(report["lost_updates"])
    for op, row in report["operations"].items():
        for status, count in row["statuses"].items():
            if status >= 500 and (status != 503 or not faulty):
                found.append(f"{op}: {count} x {status}")
    return found


def print_report(report: dict[str, Any]) -> None:
    r = report
    rate = f"{r['requests']} requests, {r['throughput_rps']} req/s"
    print(f"{r['clients']} clients, {r['duration_s']} s, {rate}")
    for line in report["faults"]:
        print(f"fault: {line}")
    print(f"{'operation':<10}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for op, row in report["operations"].items():
        figures = f"{row['count']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
        print(f"{op:<10}{figures}  {row['statuses']}")
    print(f"transport errors: {report['transport_errors'] or 'none'}")
    print(f"lost updates: {len(report['lost_updates'])}")
    for line in report["lost_updates"]:
        print(f"  {line}")


if __name__ == "__main__":
    raise SystemExit(main())
