"""Users stored by versions before the canonical email rule, on the document stores:
read without error, found by any form of their address, never twinned by a new
account, and rewritten by `app db migrate` where they have a canonical form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.identity import lookup_email
from adapters.mongo.connection import USERS
from adapters.mongo.migrations import migrate_emails
from domain.errors import EmailTakenError
from domain.users import Email, LegacyEmail, Role, User, email_key
from tests.contract.conftest import Stores
from tests.text import fullwidth

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"


def older_document(user_id: str, email: str) -> dict[str, Any]:
    """A user document as versions before the rule wrote it (NFC, Unicode domain)."""
    return {
        "_id": user_id,
        "email": email,
        "name": "Ann",
        "role": "user",
        "password_hash": HASH,
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
        "token_version": 1,
        "email_verified": True,
    }


def new_user(user_id: str, email: str) -> User:
    return User(user_id, Email(email), "New", Role.USER, HASH, T0, T0)


@pytest.fixture
async def documents(stores: Stores) -> Any:
    if stores.connection is None:
        pytest.skip("only a document store has documents written by an older version")
    return (await stores.connection.database())[USERS]


async def test_an_older_unicode_domain_is_read_and_found_by_every_form_of_it(
    stores: Stores, documents: Any
) -> None:
    await documents.insert_one(older_document("u-1", "ann@exämple.com"))

    stored = await stores.users.get("u-1")
    assert stored is not None
    assert stored.email == LegacyEmail("ann@exämple.com")
    for typed in ["ann@exämple.com", "ANN@xn--exmple-cua.com", " Ann@EXÄMPLE.com "]:
        key = email_key(lookup_email(typed))
        assert key is not None
        found = await stores.users.get_by_email(key)
        assert found is not None
        assert found.id == "u-1"


async def test_no_new_account_or_email_change_can_take_the_canonical_twin(
    stores: Stores, documents: Any
) -> None:
    await documents.insert_one(older_document("u-1", "ann@exämple.com"))
    with pytest.raises(EmailTakenError):
        await stores.users.add(new_user("u-2", "ann@xn--exmple-cua.com"))

    bob = new_user("u-3", "bob@example.com")
    await stores.users.add(bob)
    with pytest.raises(EmailTakenError):
        await stores.users.update(
            bob.changed(T0, email=Email("ann@xn--exmple-cua.com")), expected_version=1
        )


async def test_the_older_account_itself_can_be_updated_and_take_its_canonical_form(
    stores: Stores, documents: Any
) -> None:
    await documents.insert_one(older_document("u-1", "ann@exämple.com"))
    stored = await stores.users.get("u-1")
    assert stored is not None
    renamed = stored.changed(T0 + timedelta(seconds=1), name="Ann L.")
    await stores.users.update(renamed, expected_version=1)
    assert await stores.users.get("u-1") == renamed

    canonical = renamed.changed(T0, email=Email("ann@xn--exmple-cua.com"))
    await stores.users.update(canonical, expected_version=2)
    assert await stores.users.get_by_email(Email("ann@xn--exmple-cua.com")) == canonical


async def test_an_older_internationalized_address_is_read_and_found_as_typed_before(
    stores: Stores, documents: Any
) -> None:
    await documents.insert_one(older_document("u-1", "josé@example.com"))
    stored = await stores.users.get("u-1")
    assert stored is not None
    assert stored.email == LegacyEmail("josé@example.com")
    key = email_key(lookup_email("Jose\u0301@Example.com"))  # decomposed, as typed
    assert key is not None
    assert await stores.users.get_by_email(key) == stored
    assert [u.id for u in await stores.users.list_page(10, None)] == ["u-1"]


async def test_migrate_rewrites_what_has_a_canonical_form_and_reports_the_rest(
    stores: Stores, documents: Any
) -> None:
    await documents.insert_many(
        [
            older_document("u-1", "ann@exämple.com"),
            older_document("u-2", fullwidth("carl") + "@example.com"),
            older_document("u-3", "bob@example.com"),
            older_document("u-4", fullwidth("bob") + "@example.com"),  # a look-alike twin
            older_document("u-5", "josé@example.com"),
        ]
    )

    report = await migrate_emails(await stores.connection.database())  # type: ignore[union-attr]

    assert report.rewritten == [
        ("u-1", "ann@exämple.com", "ann@xn--exmple-cua.com"),
        ("u-2", fullwidth("carl") + "@example.com", "carl@example.com"),
    ]
    assert report.kept == [("u-5", "josé@example.com")]
    assert report.conflicts == [("u-4", fullwidth("bob") + "@example.com", "u-3")]
    assert report.lines()[-1] == "emails: 2 rewritten, 1 kept, 1 conflicts"
    migrated = await stores.users.get("u-2")
    assert migrated is not None
    assert migrated.email == Email("carl@example.com")
    assert migrated.version == 2  # clients holding the old ETag re-read it
    again = await migrate_emails(await stores.connection.database())  # type: ignore[union-attr]
    assert (again.rewritten, len(again.kept), len(again.conflicts)) == ([], 1, 1)


async def test_documents_of_this_version_are_left_alone(stores: Stores, documents: Any) -> None:
    user = replace(new_user("u-1", "ann@xn--exmple-cua.com"), version=3)
    await stores.users.add(user)
    report = await migrate_emails(await stores.connection.database())  # type: ignore[union-attr]
    assert report.lines() == ["emails: 0 rewritten, 0 kept, 0 conflicts"]
    assert await stores.users.get("u-1") == user
