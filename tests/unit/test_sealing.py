"""Envelope sealing of secrets at rest (adapters/security/sealing.py), with local keys."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from adapters.security.local_keys import LocalKeyWrapper
from adapters.security.sealing import (
    DataKey,
    EnvelopeSealer,
    KeyServiceError,
    SecretUnreadableError,
)

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CONTEXT = "users/user-001/totp.secret"


class CountingWrapper:
    """A real local key wrapper that counts the calls a key service would be paid for."""

    def __init__(self, inner: LocalKeyWrapper | None = None, fail_unwraps: int = 0) -> None:
        self.inner = inner or LocalKeyWrapper.ephemeral()
        self.generated = 0
        self.unwrapped = 0
        self.fail_unwraps = fail_unwraps

    async def key_id(self) -> str:
        return await self.inner.key_id()

    async def new_data_key(self) -> DataKey:
        self.generated += 1
        return await self.inner.new_data_key()

    async def unwrap(self, wrapped: bytes) -> bytes:
        self.unwrapped += 1
        await asyncio.sleep(0.01)  # a round trip, so concurrent first reads overlap
        if self.fail_unwraps:
            self.fail_unwraps -= 1
            raise KeyServiceError("KMS decrypt: ThrottlingException")
        return await self.inner.unwrap(wrapped)


def parts(sealed: str) -> list[str]:
    return sealed.split(".")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_a_sealed_secret_opens_to_the_plaintext_and_does_not_contain_it() -> None:
    sealer = EnvelopeSealer(LocalKeyWrapper.ephemeral())
    sealed = await sealer.seal(SECRET, CONTEXT)

    opened = await sealer.open(sealed, CONTEXT)

    assert opened.plaintext == SECRET
    assert opened.stale is False
    assert SECRET not in sealed
    assert SECRET.encode() not in b"".join(unb64(p) for p in parts(sealed)[2:])


async def test_the_value_names_its_format_and_the_wrapping_key_beside_the_ciphertext() -> None:
    wrapper = LocalKeyWrapper.ephemeral()
    sealed = await EnvelopeSealer(wrapper).seal(SECRET, CONTEXT)

    version, key_id, wrapped, payload = parts(sealed)

    assert version == "v1"
    assert key_id == await wrapper.key_id()
    assert key_id.startswith("local-")
    assert len(unb64(wrapped)) == 40  # AES key wrap of a 32-byte data key
    assert len(unb64(payload)) == 12 + len(SECRET) + 16  # nonce, ciphertext, GCM tag


async def test_sealing_twice_gives_different_values_under_one_data_key() -> None:
    sealer = EnvelopeSealer(LocalKeyWrapper.ephemeral())
    first, second = await sealer.seal(SECRET, CONTEXT), await sealer.seal(SECRET, CONTEXT)

    assert first != second  # a fresh nonce each time
    assert parts(first)[:3] == parts(second)[:3]


async def test_a_value_bound_to_another_user_or_field_is_refused() -> None:
    sealer = EnvelopeSealer(LocalKeyWrapper.ephemeral())
    sealed = await sealer.seal(SECRET, CONTEXT)

    for other in ("users/user-002/totp.secret", "users/user-001/other.secret", ""):
        with pytest.raises(SecretUnreadableError, match="authentication failed"):
            await sealer.open(sealed, other)


@pytest.mark.parametrize("part", [2, 3])
async def test_a_flipped_bit_anywhere_in_the_key_or_the_ciphertext_is_refused(part: int) -> None:
    sealer = EnvelopeSealer(LocalKeyWrapper.ephemeral())
    sealed = parts(await sealer.seal(SECRET, CONTEXT))
    raw = unb64(sealed[part])

    for index in (0, len(raw) // 2, len(raw) - 1):
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        value = ".".join([*sealed[:part], b64(bytes(tampered)), *sealed[part + 1 :]])
        with pytest.raises(SecretUnreadableError):
            await sealer.open(value, CONTEXT)


async def test_a_wrapped_key_swapped_in_from_another_value_is_refused() -> None:
    sealer = EnvelopeSealer(LocalKeyWrapper.ephemeral())
    other = EnvelopeSealer(sealer._current)  # same key, its own data key
    mine, theirs = parts(await sealer.seal(SECRET, CONTEXT)), parts(await other.seal("X", CONTEXT))

    with pytest.raises(SecretUnreadableError, match="authentication failed"):
        await sealer.open(".".join([*mine[:2], theirs[2], mine[3]]), CONTEXT)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: "v2" + v[2:],  # a version this code does not know
        lambda v: v[3:],  # no version
        lambda v: v.replace(".", "..", 1),
        lambda v: v + ".extra",
        lambda v: v.rsplit(".", 1)[0],  # no ciphertext
        lambda v: v.rsplit(".", 1)[0] + ".AAAA",  # shorter than a nonce
        lambda v: v.rsplit(".", 1)[0] + ".a+b/",  # not base64url
        lambda v: v[:-1] + ("B" if v[-1] != "B" else "C"),  # non-canonical or changed
        lambda v: SECRET,  # plaintext where a sealed value belongs
        lambda v: "",
    ],
)
async def test_malformed_values_are_refused(mangle: object) -> None:
    sealer = EnvelopeSealer(LocalKeyWrapper.ephemeral())
    sealed = await sealer.seal(SECRET, CONTEXT)

    with pytest.raises(SecretUnreadableError):
        await sealer.open(mangle(sealed), CONTEXT)  # type: ignore[operator]


async def test_a_value_sealed_under_an_unlisted_key_is_refused() -> None:
    sealed = await EnvelopeSealer(LocalKeyWrapper.ephemeral()).seal(SECRET, CONTEXT)

    with pytest.raises(SecretUnreadableError, match="not configured"):
        await EnvelopeSealer(LocalKeyWrapper.ephemeral()).open(sealed, CONTEXT)


async def test_a_process_makes_one_data_key_and_opens_its_own_values_without_unwrapping() -> None:
    wrapper = CountingWrapper()
    sealer = EnvelopeSealer(wrapper)

    values = await asyncio.gather(*(sealer.seal(f"{SECRET}{n}", CONTEXT) for n in range(20)))
    opened = [await sealer.open(value, CONTEXT) for value in values]

    assert [o.plaintext for o in opened] == [f"{SECRET}{n}" for n in range(20)]
    assert wrapper.generated == 1
    assert wrapper.unwrapped == 0


async def test_another_process_unwraps_each_data_key_once_even_when_reads_overlap() -> None:
    wrapper = CountingWrapper()
    writers = [EnvelopeSealer(wrapper), EnvelopeSealer(wrapper)]  # two containers
    values = [await writer.seal(f"{SECRET}{n}", CONTEXT) for writer in writers for n in range(5)]
    reader = EnvelopeSealer(wrapper)

    first = await asyncio.gather(*(reader.open(value, CONTEXT) for value in values))
    again = await asyncio.gather(*(reader.open(value, CONTEXT) for value in values))

    assert [o.plaintext for o in first] == [o.plaintext for o in again]
    assert wrapper.generated == 2
    assert wrapper.unwrapped == 2  # one per data key, however many values and readers


async def test_a_failed_unwrap_is_not_remembered() -> None:
    wrapper = CountingWrapper()
    sealed = await EnvelopeSealer(wrapper).seal(SECRET, CONTEXT)
    wrapper.fail_unwraps = 1
    reader = EnvelopeSealer(wrapper)

    with pytest.raises(KeyServiceError):
        await reader.open(sealed, CONTEXT)
    assert (await reader.open(sealed, CONTEXT)).plaintext == SECRET
    assert wrapper.unwrapped == 2


async def test_a_reader_cancelled_mid_unwrap_does_not_fail_the_others() -> None:
    wrapper = CountingWrapper()
    sealed = await EnvelopeSealer(wrapper).seal(SECRET, CONTEXT)
    reader = EnvelopeSealer(wrapper)

    impatient = asyncio.ensure_future(reader.open(sealed, CONTEXT))
    patient = asyncio.ensure_future(reader.open(sealed, CONTEXT))
    await asyncio.sleep(0)
    impatient.cancel()

    assert (await patient).plaintext == SECRET
    assert wrapper.unwrapped == 1


async def test_the_cache_of_unwrapped_keys_is_bounded() -> None:
    wrapper = CountingWrapper()
    values = [await EnvelopeSealer(wrapper).seal(SECRET, CONTEXT) for _ in range(3)]
    reader = EnvelopeSealer(wrapper, cache_size=2)

    for value in values + values[:1]:
        await reader.open(value, CONTEXT)

    assert wrapper.unwrapped == 4  # the first key was evicted by the third


async def test_after_a_rotation_old_values_open_as_stale_while_the_old_key_is_listed() -> None:
    old, new = LocalKeyWrapper.ephemeral(), LocalKeyWrapper.ephemeral()
    before = await EnvelopeSealer(old).seal(SECRET, CONTEXT)
    rotated = EnvelopeSealer(new, previous=[old])

    opened = await rotated.open(before, CONTEXT)
    after = await rotated.seal(opened.plaintext, CONTEXT)

    assert opened.plaintext == SECRET
    assert opened.stale is True
    assert parts(after)[1] == await new.key_id()
    assert (await EnvelopeSealer(new).open(after, CONTEXT)).stale is False
    with pytest.raises(SecretUnreadableError, match="not configured"):
        await EnvelopeSealer(new).open(before, CONTEXT)


async def test_an_unusable_previous_key_does_not_hide_the_others(tmp_path: Path) -> None:
    missing = LocalKeyWrapper(tmp_path / "gone.key", create=False)
    old, new = LocalKeyWrapper.ephemeral(), LocalKeyWrapper.ephemeral()
    before = await EnvelopeSealer(old).seal(SECRET, CONTEXT)

    opened = await EnvelopeSealer(new, previous=[missing, old]).open(before, CONTEXT)

    assert opened.plaintext == SECRET
