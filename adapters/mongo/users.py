from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, PyMongoError

from adapters.identity import legacy_forms
from adapters.mongo.connection import USERS, MongoConnection
from adapters.mongo.errors import log, store_call
from adapters.security.sealing import (
    EnvelopeSealer,
    KeyServiceError,
    Opened,
    SealingError,
    SecretUnreadableError,
)
from domain.errors import EmailTakenError, StaleVersionError, StoreUnavailableError
from domain.two_factor import TotpFactor
from domain.users import (
    Email,
    RevokedSession,
    Role,
    User,
    add_revoked_sessions,
    stored_email,
)

# Bumped by every write of `revoked_sessions`: with `version`, the compare-and-set key
# of every write, so neither kind of write can overwrite the other's.
SESSIONS_SEQ = "sessions_seq"
# Every round of compare-and-set lets one concurrent writer through: this many writes of
# one user at the same moment all succeed.
MAX_RACE_RETRIES = 16


def _totp_to_document(totp: TotpFactor | None, sealed_secret: str | None) -> dict[str, Any] | None:
    if totp is None:
        return None
    if sealed_secret is None:
        raise ValueError("the TOTP secret is stored sealed only")
    return {
        # The secret sealed by the repository; documents of older versions hold `secret`.
        "sealed_secret": sealed_secret,
        "confirmed": totp.confirmed,
        "last_used_step": totp.last_used_step,
        "backup_code_hashes": list(totp.backup_code_hashes),
    }


def _totp_from_document(doc: dict[str, Any] | None, secret: str | None) -> TotpFactor | None:
    if doc is None:
        return None
    if secret is None:
        raise ValueError("open the TOTP secret first")
    return TotpFactor(
        secret=secret,
        confirmed=bool(doc["confirmed"]),
        last_used_step=doc["last_used_step"],
        backup_code_hashes=tuple(doc["backup_code_hashes"]),
    )


def to_document(user: User, sealed_secret: str | None) -> dict[str, Any]:
    """The stored form; `sealed_secret` is the TOTP secret as `_seal_secret` made it."""
    return {
        "_id": user.id,
        "email": user.email.value,
        "name": user.name,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
        "token_version": user.token_version,
        "email_verified": user.email_verified,
        "totp": _totp_to_document(user.totp, sealed_secret),
        "revoked_sessions": _revoked_to_document(user.revoked_sessions),
    }


def _revoked_to_document(revoked: tuple[RevokedSession, ...]) -> list[dict[str, Any]]:
    return [{"family_id": r.family_id, "until": r.until} for r in revoked]


def _revoked_from_document(items: list[dict[str, Any]] | None) -> tuple[RevokedSession, ...]:
    return tuple(RevokedSession(i["family_id"], i["until"]) for i in items or ())


def from_document(doc: dict[str, Any], secret: str | None) -> User:
    """The user; `secret` is the opened TOTP secret when the document has a factor."""
    return User(
        id=doc["_id"],
        # Documents written before the canonical email rule may hold an older form.
        email=stored_email(doc["email"]),
        name=doc["name"],
        role=Role(doc["role"]),
        password_hash=doc["password_hash"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=doc["version"],
        token_version=doc["token_version"],
        # Documents written before verification and 2FA existed lack these fields.
        email_verified=bool(doc.get("email_verified", False)),
        totp=_totp_from_document(doc.get("totp"), secret),
        revoked_sessions=_revoked_from_document(doc.get("revoked_sessions")),
    )


class MongoUserRepository:
    """Users in one collection; the unique index on `email` (stored normalized) makes
    concurrent sign-ups of one address resolve to exactly one account.

    Documents of older versions may hold an address with a Unicode domain where this
    version stores A-labels (`legacy_forms`): lookups match both forms, and a new
    account or email change taking the canonical twin of such an address is refused
    as taken, until `app db migrate` rewrites them (see `migrations.py`).

    TOTP secrets are sealed on every write and opened on every read (README, "Secrets
    at rest"). A secret stored in plaintext by an older version, or sealed under a
    previous key, is sealed again under the current key when read: a conditional update
    of that one field, which loses to any concurrent change and leaves `version` alone.
    A value that cannot be opened, or a key service that does not answer, makes the
    read fail as `StoreUnavailableError` (503); the document is left as it is.
    """

    def __init__(self, connection: MongoConnection, secrets: EnvelopeSealer) -> None:
        self._connection = connection
        self._secrets = secrets

    async def _users(self) -> Any:
        return (await self._connection.database())[USERS]

    async def _legacy_twin(self, email: Email, user_id: str) -> bool:
        """Another account holds this address in an older version's form."""
        older = legacy_forms(email.value)
        if not older:
            return False
        twin = await (await self._users()).find_one(
            {"email": {"$in": older}, "_id": {"$ne": user_id}}, {"_id": 1}
        )
        return twin is not None

    @store_call
    async def add(self, user: User) -> None:
        if await self._legacy_twin(user.email, user.id):
            raise EmailTakenError
        document = to_document(user, await self._seal_secret(user))
        try:
            await (await self._users()).insert_one(document)
        except DuplicateKeyError:
            raise EmailTakenError from None

    @store_call
    async def get(self, user_id: str) -> User | None:
        doc = await (await self._users()).find_one({"_id": user_id})
        return await self._user(doc) if doc else None

    @store_call
    async def get_by_email(self, email: Email) -> User | None:
        forms = [email.value, *legacy_forms(email.value)]
        doc = await (await self._users()).find_one({"email": {"$in": forms}})
        return await self._user(doc) if doc else None

    @store_call
    async def update(self, user: User, expected_version: int) -> None:
        users = await self._users()
        if await self._legacy_twin(user.email, user.id):
            raise EmailTakenError
        document = to_document(user, await self._seal_secret(user))
        del document["_id"]
        for _ in range(MAX_RACE_RETRIES):
            # The revoked sessions as stored now: this write keeps them.
            current = await users.find_one(
                {"_id": user.id}, {"version": 1, "revoked_sessions": 1, SESSIONS_SEQ: 1}
            )
            if current is None or current["version"] != expected_version:
                raise StaleVersionError
            seq = current.get(SESSIONS_SEQ)
            document["revoked_sessions"] = current.get("revoked_sessions") or []
            document[SESSIONS_SEQ] = seq or 0
            try:
                result = await users.replace_one(
                    {"_id": user.id, "version": expected_version, SESSIONS_SEQ: seq}, document
                )
            except DuplicateKeyError:
                raise EmailTakenError from None
            if result.matched_count == 1:
                return
        raise StoreUnavailableError(message="The user is too contended; try again.")

    @store_call
    async def revoke_sessions(
        self, user_id: str, family_ids: Collection[str], until: datetime, now: datetime
    ) -> bool:
        users = await self._users()
        for _ in range(MAX_RACE_RETRIES):
            doc = await users.find_one({"_id": user_id})
            if doc is None:
                return True
            stored = _revoked_from_document(doc.get("revoked_sessions"))
            revoked = add_revoked_sessions(stored, family_ids, until, now)
            if revoked is None:
                return False
            seq = doc.get(SESSIONS_SEQ)
            # The document as read (the sealed secret untouched), with the new list.
            replacement = {k: v for k, v in doc.items() if k != "_id"}
            replacement["revoked_sessions"] = _revoked_to_document(revoked)
            replacement[SESSIONS_SEQ] = (seq or 0) + 1
            # Conditional on both keys: a concurrent update or revocation makes this miss.
            result = await users.replace_one(
                {"_id": user_id, "version": doc["version"], SESSIONS_SEQ: seq}, replacement
            )
            if result.matched_count == 1:
                return True
        raise StoreUnavailableError(message="The user is too contended; try again.")

    @store_call
    async def delete(self, user_id: str) -> bool:
        result = await (await self._users()).delete_one({"_id": user_id})
        return bool(result.deleted_count == 1)

    @store_call
    async def list_page(self, limit: int, after: tuple[str, str] | None) -> list[User]:
        query: dict[str, Any] = {}
        if after is not None:
            created_at, user_id = datetime.fromisoformat(after[0]), after[1]
            query = {
                "$or": [
                    {"created_at": {"$gt": created_at}},
                    {"created_at": created_at, "_id": {"$gt": user_id}},
                ]
            }
        cursor = (
            (await self._users())
            .find(query)
            .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        docs = await cursor.to_list(length=limit)
        # Concurrently: each data key met for the first time costs a key-service call.
        return list(await asyncio.gather(*(self._user(doc) for doc in docs)))

    @store_call
    async def count_admins(self) -> int:
        count: int = await (await self._users()).count_documents({"role": Role.ADMIN.value})
        return count

    async def _user(self, doc: dict[str, Any]) -> User:
        totp = doc.get("totp")
        secret = None if totp is None else await self._open_secret(doc, totp)
        return from_document(doc, secret)

    async def _seal_secret(self, user: User) -> str | None:
        if user.totp is None:
            return None
        try:
            return await self._secrets.seal(user.totp.secret, _secret_context(user.id))
        except SealingError as exc:
            log.warning("key_service_unavailable", extra={"error": str(exc)})
            raise StoreUnavailableError from None

    async def _open_secret(self, doc: dict[str, Any], totp: dict[str, Any]) -> str:
        user_id = doc["_id"]
        sealed, legacy = totp.get("sealed_secret"), totp.get("secret")
        if sealed is None and isinstance(legacy, str):  # from a version that did not seal
            await self._seal_again(doc, {"totp.secret": legacy}, legacy)
            return legacy
        opened = await self._open(user_id, sealed)
        if opened.stale:
            await self._seal_again(doc, {"totp.sealed_secret": sealed}, opened.plaintext)
        return opened.plaintext

    async def _open(self, user_id: str, sealed: Any) -> Opened:
        try:
            if not isinstance(sealed, str):
                raise SecretUnreadableError("not a string")
            return await self._secrets.open(sealed, _secret_context(user_id))
        except SecretUnreadableError as exc:
            # The factor cannot be used; the value stays so that the right key recovers it.
            log.error("sealed_secret_unreadable", extra={"user_id": user_id, "reason": str(exc)})
            raise StoreUnavailableError from None
        except KeyServiceError as exc:
            log.warning("key_service_unavailable", extra={"error": str(exc)})
            raise StoreUnavailableError from None

    async def _seal_again(self, doc: dict[str, Any], stored: dict[str, Any], secret: str) -> None:
        """Replace the stored form of the secret (`stored`: its field and value) with one
        sealed under the current key, if the document has not changed since it was read.
        Best effort: when it cannot happen now, the next read tries again."""
        user_id = doc["_id"]
        try:
            sealed = await self._secrets.seal(secret, _secret_context(user_id))
            await (await self._users()).update_one(
                {"_id": user_id, "version": doc["version"], **stored},
                {"$set": {"totp.sealed_secret": sealed}, "$unset": {"totp.secret": ""}},
            )
        except (SealingError, PyMongoError) as exc:
            log.warning(
                "secret_migration_deferred",
                extra={"user_id": user_id, "error": type(exc).__name__},
            )


def _secret_context(user_id: str) -> str:
    """Associated data of the sealed secret: a value moved to another user or field
    does not open."""
    return f"users/{user_id}/totp.secret"
