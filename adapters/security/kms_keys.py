"""Data keys from AWS KMS: `GenerateDataKey` (AES_256) to seal, `Decrypt` to open.

Both calls name the key by its ARN and carry the encryption context
`{"app": "serverless-auth"}`, which the function's IAM policy requires; KMS refuses a
wrapped key under another key or context. botocore is imported and the client built on
the first call, not at start-up: most requests never touch a secret, and the import
costs a noticeable part of a cold start. The blocking calls run in a worker thread so
the event loop keeps serving.

Any failure becomes `KeyServiceError` carrying only the AWS error code: botocore's
messages can quote the request.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from adapters.aws import error_code
from adapters.security.sealing import (
    DATA_KEY_BYTES,
    DataKey,
    KeyServiceError,
    SecretUnreadableError,
)

ENCRYPTION_CONTEXT = {"app": "serverless-auth"}
# Decrypt's answers about the wrapped key itself (not about KMS being reachable).
UNREADABLE = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class KmsKeyWrapper:
    def __init__(self, key_arn: str, client: Any = None) -> None:
        self._key_arn = key_arn
        self._client = client
        self._client_lock = threading.Lock()

    async def key_id(self) -> str:
        return self._key_arn

    async def new_data_key(self) -> DataKey:
        response = await self._call(
            "generate_data_key",
            KeyId=self._key_arn,
            KeySpec="AES_256",
            EncryptionContext=ENCRYPTION_CONTEXT,
        )
        plaintext, wrapped = response.get("Plaintext"), response.get("CiphertextBlob")
        if not isinstance(plaintext, bytes) or len(plaintext) != DATA_KEY_BYTES:
            raise KeyServiceError("GenerateDataKey returned no 256-bit key")
        if not isinstance(wrapped, bytes) or not wrapped:
            raise KeyServiceError("GenerateDataKey returned no wrapped key")
        return DataKey(plaintext, wrapped)

    async def unwrap(self, wrapped: bytes) -> bytes:
        response = await self._call(
            "decrypt",
            CiphertextBlob=wrapped,
            KeyId=self._key_arn,
            EncryptionContext=ENCRYPTION_CONTEXT,
        )
        plaintext = response.get("Plaintext")
        if not isinstance(plaintext, bytes):
            raise KeyServiceError("Decrypt returned no key")
        return plaintext

    async def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        try:
            response = await asyncio.to_thread(self._call_sync, operation, request)
        except Exception as exc:
            code = error_code(exc)
            if code in UNREADABLE:
                raise SecretUnreadableError(f"KMS {operation}: {code}") from None
            raise KeyServiceError(f"KMS {operation}: {code}") from None
        return response if isinstance(response, dict) else {}

    def _call_sync(self, operation: str, request: dict[str, Any]) -> Any:
        return getattr(self._get_client(), operation)(**request)

    def _get_client(self) -> Any:
        # Runs in worker threads: the lock keeps concurrent first calls to one client.
        with self._client_lock:
            if self._client is None:
                import botocore.config  # type: ignore[import-untyped]
                import botocore.session  # type: ignore[import-untyped]

                # Short timeouts: a request waiting on KMS should get its 503 within ~3 s.
                config = botocore.config.Config(
                    connect_timeout=1,
                    read_timeout=1,
                    retries={"total_max_attempts": 2, "mode": "standard"},
                )
                self._client = botocore.session.get_session().create_client(
                    "kms", region_name=_region(self._key_arn), config=config
                )
            return self._client


def _region(key_arn: str) -> str | None:
    # arn:aws:kms:<region>:<account>:key/<id>
    parts = key_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else None
