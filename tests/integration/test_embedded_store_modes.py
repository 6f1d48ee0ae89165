"""The embedded store's data directory is owner-only: 0700, and its files 0600 (the
SQLite databases and journals, the log, the pid file, the local key of secrets)."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.embedded import EmbeddedMongo, make_private
from adapters.security.local_keys import LocalKeyWrapper

pytestmark = pytest.mark.integration


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def write_something(uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(uri)
    try:
        await client["serverless_auth"]["users"].insert_one({"_id": "u1", "name": "Ann"})
    finally:
        await client.close()


def test_a_new_data_dir_and_every_file_the_store_makes_are_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    with EmbeddedMongo(data_dir) as store:
        asyncio.run(write_something(store.uri))
        asyncio.run(LocalKeyWrapper(data_dir / "secrets.key").key_id())
        files = sorted(p.name for p in data_dir.iterdir())
        modes = {p.name: mode(p) for p in data_dir.iterdir()}

    assert mode(data_dir) == 0o700
    assert "serverless_auth.db" in files
    assert "nx-27017.log" in files
    assert f"nx-27017-{store.port}.pid" in files
    assert "secrets.key" in files
    assert any(name.endswith("-wal") for name in files)  # SQLite's journal of the writes
    assert modes == dict.fromkeys(files, 0o600)


def test_an_existing_data_dir_and_the_files_of_older_runs_are_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    older = [
        "serverless_auth.db",
        "archive.db",
        "archive.db-wal",
        "nx-27017.log",
        "nx-27017-1.pid",
        "secrets.key",
    ]
    for name in [*older, "notes.txt"]:
        (data_dir / name).write_bytes(b"")
        (data_dir / name).chmod(0o644)
    (data_dir / "nx-27017.log").chmod(0o666)

    with EmbeddedMongo(data_dir) as store:
        asyncio.run(write_something(store.uri))

    assert mode(data_dir) == 0o700
    for name in older:
        assert mode(data_dir / name) == 0o600, name
    assert mode(data_dir / "notes.txt") == 0o644  # not the store's: left alone


def test_a_shared_sticky_directory_is_not_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp

    make_private(shared)

    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
