"""Per-operation latency of the MongoDB adapters against the embedded nx-27017 server.

Run: `uv run python bench/mongo_latency.py [--ops 300] [--uri mongodb://...]`.
Starts its own nx-27017 on a free loopback port (or uses --uri), then times each
repository operation through the real adapters, for both drivers (PyMongo async and
Motor), and prints median / p95 in milliseconds. Writes bench/mongo_latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.mongo.connection import MongoConfig, MongoConnection
from adapters.mongo.embedded import EmbeddedMongo
from adapters.mongo.sessions import MongoRefreshSessionRepository
from adapters.mongo.throttles import MongoThrottleRepository
from adapters.mongo.users import MongoUserRepository
from adapters.security.local_keys import LocalKeyWrapper
from adapters.security.sealing import EnvelopeSealer
from domain.auth import RefreshSession, ThrottlePolicy
from domain.users import Email, Role, User

BENCH_DIR = Path(__file__).resolve().parent
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def now() -> datetime:
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def a_user(n: int) -> User:
    at = now()
    return User(f"u{n:06d}", Email(f"user{n}@example.com"), f"User {n}", Role.USER, HASH, at, at)


def a_session(n: int) -> RefreshSession:
    at = now()
    return RefreshSession(
        f"h{n:06d}", f"f{n % 50}", f"u{n:06d}", at, at + timedelta(days=14), at + timedelta(days=30)
    )


async def timed(ops: int, op: Callable[[int], Awaitable[Any]]) -> list[float]:
    samples = []
    for n in range(ops):
        start = time.perf_counter()
        await op(n)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def measure(uri: str, driver: str, ops: int) -> dict[str, dict[str, float]]:
    connection = MongoConnection(
        MongoConfig(uri=uri, database=f"bench_{uuid.uuid4().hex[:8]}", driver=driver)
    )
    users = MongoUserRepository(connection, EnvelopeSealer(LocalKeyWrapper.ephemeral()))
    sessions = MongoRefreshSessionRepository(connection)
    throttles = MongoThrottleRepository(connection)
    policy = ThrottlePolicy(free_attempts=10**6, window=timedelta(minutes=15))
    await connection.database()  # connect and create indexes outside the timings
    stored = [a_user(n) for n in range(ops)]
    plan: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
        ("users.add", lambda n: users.add(stored[n])),
        ("users.get", lambda n: users.get(stored[n].id)),
        ("users.get_by_email", lambda n: users.get_by_email(stored[n].email)),
        ("users.update", lambda n: users.update(stored[n].changed(now(), name="Renamed"), 1)),
        ("users.list_page(20)", lambda n: users.list_page(20, None)),
        ("users.count_admins", lambda n: users.count_admins()),
        ("sessions.add", lambda n: sessions.add(a_session(n))),
        ("sessions.get", lambda n: sessions.get(f"h{n:06d}")),
        ("sessions.spend", lambda n: sessions.spend(f"h{n:06d}", now())),
        ("sessions.revoke_family", lambda n: sessions.revoke_family(f"f{n % 50}")),
        (
            "throttles.reserve_attempt",
            lambda n: throttles.reserve_attempt(f"k{n % 20}", now(), policy),
        ),
        ("throttles.clear", lambda n: throttles.clear(f"k{n % 20}")),
        ("ping", lambda n: connection.ping()),
    ]
    results = {}
    for name, op in plan:
        samples = sorted(await timed(ops, op))
        results[name] = {
            "median_ms": round(statistics.median(samples), 3),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
        }
    await connection.client().drop_database(connection.config.database)
    await connection.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300, help="operations per row (default 300)")
    parser.add_argument("--uri", help="a MongoDB URI instead of a fresh embedded nx-27017")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = None if args.uri else EmbeddedMongo(data_dir)
        if server:
            server.start()
        try:
            uri = args.uri or server.uri  # type: ignore[union-attr]
            report = {d: asyncio.run(measure(uri, d, args.ops)) for d in ("pymongo", "motor")}
        finally:
            if server:
                server.stop()
    target = "embedded nx-27017 (file-backed, loopback TCP)" if not args.uri else "MONGODB URI"
    print(f"Mongo adapter latency against {target}, {args.ops} ops per row, sequential")
    print(f"{'operation':<28}{'pymongo p50':>13}{'p95':>9}{'motor p50':>12}{'p95':>9}  (ms)")
    for name in report["pymongo"]:
        p, m = report["pymongo"][name], report["motor"][name]
        print(
            f"{name:<28}{p['median_ms']:>13.3f}{p['p95_ms']:>9.3f}{m['median_ms']:>12.3f}{m['p95_ms']:>9.3f}"
        )
    (BENCH_DIR / "mongo_latency.json").write_text(
        json.dumps({"target": target, "ops": args.ops, **report}, indent=2)
    )


if __name__ == "__main__":
    main()
