"""The local key file of secrets at rest (adapters/security/local_keys.py)."""

from __future__ import annotations

import asyncio
import base64
import os
import stat
import threading
from pathlib import Path

import pytest

from adapters.security import local_keys
from adapters.security.local_keys import LocalKeyWrapper
from adapters.security.sealing import EnvelopeSealer, KeyServiceError

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

CONTEXT = "users/user-001/totp.secret"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_key_file_is_made_on_first_use_owner_only_in_an_owner_only_directory(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "data" / "secrets.key"
    wrapper = LocalKeyWrapper(key_file)
    assert not key_file.exists()  # nothing happens before a secret is sealed

    sealed = await EnvelopeSealer(wrapper).seal("SECRET", CONTEXT)

    assert mode(key_file) == 0o600
    assert mode(key_file.parent) == 0o700
    assert len(base64.urlsafe_b64decode(key_file.read_bytes().strip())) == 32
    assert [p.name for p in key_file.parent.iterdir()] == ["secrets.key"]  # no temporary left
    # A later process reads the same key and opens what the first one sealed.
    opened = await EnvelopeSealer(LocalKeyWrapper(key_file)).open(sealed, CONTEXT)
    assert opened.plaintext == "SECRET"


async def test_the_key_file_does_not_widen_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        await LocalKeyWrapper(tmp_path / "k" / "secrets.key").key_id()
    finally:
        os.umask(previous)

    assert mode(tmp_path / "k" / "secrets.key") == 0o600
    assert mode(tmp_path / "k") == 0o700


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets.key"
    keys: list[bytes] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        keys.append(local_keys._load_or_create(key_file, create=True))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.key"]


async def test_a_key_file_others_can_read_is_made_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets.key"
    await LocalKeyWrapper(key_file).key_id()
    key_file.chmod(0o644)

    await LocalKeyWrapper(key_file).key_id()

    assert mode(key_file) == 0o600


@pytest.mark.parametrize("content", [b"", b"not base64 !!!\n", base64.b64encode(b"short") + b"\n"])
async def test_a_damaged_key_file_is_a_key_service_error(tmp_path: Path, content: bytes) -> None:
    key_file = tmp_path / "secrets.key"
    key_file.write_bytes(content)

    with pytest.raises(KeyServiceError, match="32-byte"):
        await EnvelopeSealer(LocalKeyWrapper(key_file)).seal("SECRET", CONTEXT)


async def test_a_previous_key_file_is_never_created(tmp_path: Path) -> None:
    wrapper = LocalKeyWrapper(tmp_path / "old.key", create=False)

    with pytest.raises(KeyServiceError, match="missing"):
        await wrapper.key_id()
    assert not (tmp_path / "old.key").exists()


async def test_an_unreadable_key_file_is_a_key_service_error(tmp_path: Path) -> None:
    # A directory where the file should be: reading it fails with an OSError.
    (tmp_path / "secrets.key").mkdir()

    with pytest.raises(KeyServiceError, match="IsADirectoryError"):
        await LocalKeyWrapper(tmp_path / "secrets.key").key_id()


async def test_two_key_files_have_different_ids_and_the_id_does_not_reveal_the_key(
    tmp_path: Path,
) -> None:
    first, second = LocalKeyWrapper(tmp_path / "a.key"), LocalKeyWrapper(tmp_path / "b.key")
    ids = await asyncio.gather(first.key_id(), second.key_id())

    assert ids[0] != ids[1]
    key = base64.urlsafe_b64decode((tmp_path / "a.key").read_bytes().strip())
    assert key.hex()[:16] not in ids[0]
