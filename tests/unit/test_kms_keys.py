"""Data keys from KMS (adapters/security/kms_keys.py); moto stands in for AWS."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from adapters.security.kms_keys import ENCRYPTION_CONTEXT, KmsKeyWrapper
from adapters.security.sealing import EnvelopeSealer, KeyServiceError, SecretUnreadableError

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

REGION = "eu-west-1"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CONTEXT = "users/user-001/totp.secret"


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",  # not the key's region: the ARN's must win
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


def new_key(kms: Any) -> str:
    arn: str = kms.create_key(Description="secrets at rest")["KeyMetadata"]["Arn"]
    return arn


class Calls:
    """The KMS operations a client made, as botocore reports them before each call."""

    def __init__(self, client: Any) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.kms.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.made.append((model.name, dict(params)))

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.made if name == operation)


async def test_a_secret_sealed_with_a_kms_data_key_opens_in_another_container(kms: Any) -> None:
    arn = new_key(kms)
    sealed = await EnvelopeSealer(KmsKeyWrapper(arn)).seal(SECRET, CONTEXT)

    opened = await EnvelopeSealer(KmsKeyWrapper(arn)).open(sealed, CONTEXT)

    assert opened.plaintext == SECRET
    assert sealed.split(".")[1] == arn  # the wrapping key beside the ciphertext


async def test_every_call_names_the_key_and_the_encryption_context(kms: Any) -> None:
    arn = new_key(kms)
    calls = Calls(kms)
    sealed = await EnvelopeSealer(KmsKeyWrapper(arn, client=kms)).seal(SECRET, CONTEXT)
    await EnvelopeSealer(KmsKeyWrapper(arn, client=kms)).open(sealed, CONTEXT)

    assert [name for name, _ in calls.made] == ["GenerateDataKey", "Decrypt"]
    for _, params in calls.made:
        assert params["KeyId"] == arn
        assert params["EncryptionContext"] == {"app": "serverless-auth"}
    assert calls.made[0][1]["KeySpec"] == "AES_256"


async def test_the_wrapped_data_key_is_bound_to_the_encryption_context(kms: Any) -> None:
    arn = new_key(kms)
    sealed = await EnvelopeSealer(KmsKeyWrapper(arn)).seal(SECRET, CONTEXT)
    wrapped = sealed.split(".")[2]
    blob = base64.urlsafe_b64decode(wrapped + "=" * (-len(wrapped) % 4))

    assert (
        len(kms.decrypt(CiphertextBlob=blob, EncryptionContext=ENCRYPTION_CONTEXT)["Plaintext"])
        == 32
    )
    for context in ({}, {"app": "other"}, {**ENCRYPTION_CONTEXT, "extra": "x"}):
        with pytest.raises(kms.exceptions.InvalidCiphertextException):
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)


async def test_a_container_calls_kms_once_per_data_key(kms: Any) -> None:
    arn = new_key(kms)
    writers = [EnvelopeSealer(KmsKeyWrapper(arn, client=kms)) for _ in range(3)]
    generated = Calls(kms)
    values = [await w.seal(f"{SECRET}{n}", CONTEXT) for w in writers for n in range(4)]
    assert generated.count("GenerateDataKey") == 3  # one per writing container
    assert generated.count("Decrypt") == 0  # a writer opens its own values from memory

    reader_client = boto3.client("kms", region_name=REGION)
    calls = Calls(reader_client)
    reader = EnvelopeSealer(KmsKeyWrapper(arn, client=reader_client))
    for _ in range(3):
        opened = await asyncio.gather(*(reader.open(value, CONTEXT) for value in values))
        assert [o.plaintext for o in opened] == [f"{SECRET}{n}" for _ in writers for n in range(4)]

    assert calls.count("Decrypt") == 3  # three data keys met, twelve values read three times
    assert calls.count("GenerateDataKey") == 0


async def test_after_moving_to_a_new_kms_key_old_values_open_while_the_old_key_is_listed(
    kms: Any,
) -> None:
    old, new = new_key(kms), new_key(kms)
    before = await EnvelopeSealer(KmsKeyWrapper(old)).seal(SECRET, CONTEXT)

    opened = await EnvelopeSealer(KmsKeyWrapper(new), [KmsKeyWrapper(old)]).open(before, CONTEXT)

    assert opened.plaintext == SECRET
    assert opened.stale is True
    with pytest.raises(SecretUnreadableError, match="not configured"):
        await EnvelopeSealer(KmsKeyWrapper(new)).open(before, CONTEXT)


async def test_a_wrapped_key_under_another_kms_key_is_refused(kms: Any) -> None:
    mine, other = new_key(kms), new_key(kms)
    theirs = (await EnvelopeSealer(KmsKeyWrapper(other)).seal(SECRET, CONTEXT)).split(".")
    # Claims to be under `mine`: KMS refuses to decrypt it with that key.
    forged = ".".join([theirs[0], mine, *theirs[2:]])

    with pytest.raises((KeyServiceError, SecretUnreadableError)) as refused:
        await EnvelopeSealer(KmsKeyWrapper(mine)).open(forged, CONTEXT)
    assert other not in str(refused.value)


async def test_a_tampered_wrapped_key_is_unreadable(kms: Any) -> None:
    arn = new_key(kms)
    version, key_id, wrapped, payload = (
        await EnvelopeSealer(KmsKeyWrapper(arn)).seal(SECRET, CONTEXT)
    ).split(".")
    at = len(wrapped) - 5  # inside the encrypted key, past KMS's header
    tampered = ("B" if wrapped[at] != "B" else "C").join([wrapped[:at], wrapped[at + 1 :]])

    with pytest.raises(SecretUnreadableError, match="InvalidCiphertextException"):
        await EnvelopeSealer(KmsKeyWrapper(arn)).open(
            ".".join([version, key_id, tampered, payload]), CONTEXT
        )


async def test_kms_failures_carry_only_the_error_code(kms: Any) -> None:
    gone = new_key(kms).rsplit("/", 1)[0] + "/0b5e7d2c-0000-4000-8000-000000000000"

    with pytest.raises(KeyServiceError) as refused:
        await EnvelopeSealer(KmsKeyWrapper(gone)).seal(SECRET, CONTEXT)

    assert str(refused.value) == "KMS generate_data_key: NotFoundException"


async def test_an_unreachable_kms_is_a_key_service_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Outside mock_aws, with an endpoint nothing listens on: a connection error, fast.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")
    wrapper = KmsKeyWrapper("arn:aws:kms:eu-west-1:123456789012:key/1234abcd")

    with pytest.raises(KeyServiceError, match=r"^KMS generate_data_key: EndpointConnectionError$"):
        await wrapper.new_data_key()


PROBE = """
import json, sys
from adapters.security.kms_keys import KmsKeyWrapper
from adapters.security.sealing import EnvelopeSealer
EnvelopeSealer(KmsKeyWrapper("arn:aws:kms:eu-west-1:123456789012:key/1234abcd"))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("botocore", "boto3"))))
"""


def test_building_the_kms_wrapper_imports_no_aws_sdk() -> None:
    result = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
