"""`app db migrate`: bring documents written by older versions to this version's form.

Emails: versions before the canonical email rule (`domain.users.Email`) stored
email-validator's NFC form with a Unicode domain. Each such address is rewritten to
its canonical form when it has one and no other account holds it; its version rises,
so a client holding the old ETag re-reads the user. What cannot be rewritten is left
as it is and reported:

- an internationalized local part (no canonical form): the account keeps its address
  and signs in with it as before; no new account can take a look-alike of it;
- a canonical form that another account already has (two look-alike accounts created
  before the rule): an operator decides which keeps the address.

Verification and reset links sent before the rewrite stop working for rewritten
accounts (they are bound to the address they were sent to); users ask for new ones.
Safe to run again: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import DuplicateKeyError

from adapters.identity import canonical_email
from adapters.mongo.connection import USERS
from domain.errors import InvalidInputError
from domain.users import is_canonical_email


@dataclass
class EmailMigration:
    rewritten: list[tuple[str, str, str]] = field(default_factory=list)  # id, old, new
    kept: list[tuple[str, str]] = field(default_factory=list)  # id, address
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # id, address, holder

    def lines(self) -> list[str]:
        out = [f"rewrote {user_id}: {old} -> {new}" for user_id, old, new in self.rewritten]
        out += [
            f"kept {user_id}: {address} (internationalized; signs in with it as before)"
            for user_id, address in self.kept
        ]
        out += [
            f"conflict {user_id}: {address} is, canonically, the address of {holder}; "
            "left unchanged for an operator to resolve"
            for user_id, address, holder in self.conflicts
        ]
        summary = (
            f"emails: {len(self.rewritten)} rewritten, {len(self.kept)} kept, "
            f"{len(self.conflicts)} conflicts"
        )
        return [*out, summary]


async def migrate_emails(db: Any) -> EmailMigration:
    users = db[USERS]
    report = EmailMigration()
    older = [
        doc
        async for doc in users.find({}, {"email": 1}).sort("_id", 1)
        if not is_canonical_email(doc["email"])
    ]
    for doc in older:
        user_id, address = doc["_id"], doc["email"]
        try:
            canonical = canonical_email(address)
        except InvalidInputError:
            report.kept.append((user_id, address))
            continue
        holder = await users.find_one({"email": canonical}, {"_id": 1})
        if holder is not None:
            report.conflicts.append((user_id, address, holder["_id"]))
            continue
        try:
            result = await users.update_one(
                {"_id": user_id, "email": address},
                {"$set": {"email": canonical}, "$inc": {"version": 1}},
            )
        except DuplicateKeyError:  # an account took it meanwhile
            holder = await users.find_one({"email": canonical}, {"_id": 1})
            report.conflicts.append((user_id, address, holder["_id"] if holder else "?"))
            continue
        if result.modified_count == 1:
            report.rewritten.append((user_id, address, canonical))
    return report
