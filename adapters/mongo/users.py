from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.connection import USERS, MongoConnection
from adapters.mongo.errors import store_call
from domain.errors import EmailTakenError, StaleVersionError, StoreUnavailableError
from domain.two_factor import TotpFactor
from domain.users import Email, RevokedSession, Role, User, add_revoked_sessions

# Bumped by every write of `revoked_sessions`: with `version`, the compare-and-set key
# of every write, so neither kind of write can overwrite the other's.
SESSIONS_SEQ = "sessions_seq"
MAX_RACE_RETRIES = 8


def _totp_to_document(totp: TotpFactor | None) -> dict[str, Any] | None:
    if totp is None:
        return None
    return {
        "secret": totp.secret,
        "confirmed": totp.confirmed,
        "last_used_step": totp.last_used_step,
        "backup_code_hashes": list(totp.backup_code_hashes),
    }


def _totp_from_document(doc: dict[str, Any] | None) -> TotpFactor | None:
    if doc is None:
        return None
    return TotpFactor(
        secret=doc["secret"],
        confirmed=bool(doc["confirmed"]),
        last_used_step=doc["last_used_step"],
        backup_code_hashes=tuple(doc["backup_code_hashes"]),
    )


def to_document(user: User) -> dict[str, Any]:
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
        "totp": _totp_to_document(user.totp),
        "revoked_sessions": _revoked_to_document(user.revoked_sessions),
    }


def _revoked_to_document(revoked: tuple[RevokedSession, ...]) -> list[dict[str, Any]]:
    return [{"family_id": r.family_id, "until": r.until} for r in revoked]


def _revoked_from_document(items: list[dict[str, Any]] | None) -> tuple[RevokedSession, ...]:
    return tuple(RevokedSession(i["family_id"], i["until"]) for i in items or ())


def from_document(doc: dict[str, Any]) -> User:
    return User(
        id=doc["_id"],
        email=Email(doc["email"]),
        name=doc["name"],
        role=Role(doc["role"]),
        password_hash=doc["password_hash"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=doc["version"],
        token_version=doc["token_version"],
        # Documents written before verification and 2FA existed lack these fields.
        email_verified=bool(doc.get("email_verified", False)),
        totp=_totp_from_document(doc.get("totp")),
        revoked_sessions=_revoked_from_document(doc.get("revoked_sessions")),
    )


class MongoUserRepository:
    """Users in one collection; the unique index on `email` (stored normalized) makes
    concurrent sign-ups of one address resolve to exactly one account."""

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

    async def _users(self) -> Any:
        return (await self._connection.database())[USERS]

    @store_call
    async def add(self, user: User) -> None:
        try:
            await (await self._users()).insert_one(to_document(user))
        except DuplicateKeyError:
            raise EmailTakenError from None

    @store_call
    async def get(self, user_id: str) -> User | None:
        doc = await (await self._users()).find_one({"_id": user_id})
        return from_document(doc) if doc else None

    @store_call
    async def get_by_email(self, email: Email) -> User | None:
        doc = await (await self._users()).find_one({"email": email.value})
        return from_document(doc) if doc else None

    @store_call
    async def update(self, user: User, expected_version: int) -> None:
        users = await self._users()
        document = to_document(user)
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
        return [from_document(doc) for doc in await cursor.to_list(length=limit)]

    @store_call
    async def count_admins(self) -> int:
        count: int = await (await self._users()).count_documents({"role": Role.ADMIN.value})
        return count
