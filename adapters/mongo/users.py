from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from adapters.identity import legacy_forms
from adapters.mongo.connection import USERS, MongoConnection
from adapters.mongo.errors import store_call
from domain.errors import EmailTakenError, StaleVersionError
from domain.two_factor import TotpFactor
from domain.users import Email, Role, User, stored_email


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
    }


def from_document(doc: dict[str, Any]) -> User:
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
        totp=_totp_from_document(doc.get("totp")),
    )


class MongoUserRepository:
    """Users in one collection; the unique index on `email` (stored normalized) makes
    concurrent sign-ups of one address resolve to exactly one account.

    Documents of older versions may hold an address with a Unicode domain where this
    version stores A-labels (`legacy_forms`): lookups match both forms, and a new
    account or email change taking the canonical twin of such an address is refused
    as taken, until `app db migrate` rewrites them (see `migrations.py`).
    """

    def __init__(self, connection: MongoConnection) -> None:
        self._connection = connection

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
        forms = [email.value, *legacy_forms(email.value)]
        doc = await (await self._users()).find_one({"email": {"$in": forms}})
        return from_document(doc) if doc else None

    @store_call
    async def update(self, user: User, expected_version: int) -> None:
        document = to_document(user)
        del document["_id"]
        if await self._legacy_twin(user.email, user.id):
            raise EmailTakenError
        try:
            result = await (await self._users()).replace_one(
                {"_id": user.id, "version": expected_version}, document
            )
        except DuplicateKeyError:
            raise EmailTakenError from None
        if result.matched_count != 1:
            raise StaleVersionError

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
