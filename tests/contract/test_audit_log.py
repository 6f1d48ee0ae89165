from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.audit import AuditEvent, AuditEventType
from tests.contract.conftest import Stores

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

# Relative to the real time (retention expires events through a TTL index), truncated to
# the millisecond that BSON dates keep.
_now = datetime.now(UTC)
NOW = _now.replace(microsecond=_now.microsecond // 1000 * 1000)


def an_event(
    n: int,
    user: str = "u1",
    at: datetime | None = None,
    event_type: AuditEventType = AuditEventType.SIGN_IN_SUCCEEDED,
) -> AuditEvent:
    return AuditEvent(
        id=f"evt-{n:03d}",
        type=event_type,
        at=at if at is not None else NOW + timedelta(seconds=n),
        user_id=user,
        actor_id=user,
        ip="203.0.113.7",
        request_id=f"req-{n}",
        user_agent="curl/8.9.1",
    )


def cursor(event: AuditEvent) -> tuple[str, str]:
    return (event.at.isoformat(), event.id)


async def test_recorded_events_are_listed_newest_first(stores: Stores) -> None:
    events = [an_event(n) for n in (2, 1, 3)]
    for event in events:
        await stores.audit.record(event)
    page = await stores.audit.list_page("u1", 10, None)
    assert [e.id for e in page] == ["evt-003", "evt-002", "evt-001"]
    assert page == sorted(events, key=lambda e: e.at, reverse=True)
    assert all(e.at.utcoffset() == timedelta(0) for e in page)


async def test_details_types_and_a_missing_actor_read_back_equal(stores: Stores) -> None:
    system = AuditEvent(
        id="evt-001",
        type=AuditEventType.ROLE_CHANGED,
        at=NOW,
        user_id="u1",
        actor_id=None,
        ip="",
        request_id="req-1",
        details={"from": "user", "to": "admin", "note": "ünïcode ✓"},
    )
    await stores.audit.record(system)
    [stored] = await stores.audit.list_page(None, 10, None)
    assert stored == system
    assert stored.type is AuditEventType.ROLE_CHANGED
    assert stored.actor_id is None
    assert dict(stored.details) == {"from": "user", "to": "admin", "note": "ünïcode ✓"}


async def test_a_users_events_are_filtered_and_none_lists_everyone(stores: Stores) -> None:
    await stores.audit.record(an_event(1, user="u1"))
    await stores.audit.record(an_event(2, user="u2"))
    await stores.audit.record(an_event(3, user="u1"))
    assert [e.id for e in await stores.audit.list_page("u1", 10, None)] == ["evt-003", "evt-001"]
    assert [e.id for e in await stores.audit.list_page("u2", 10, None)] == ["evt-002"]
    assert await stores.audit.list_page("nobody", 10, None) == []
    everyone = await stores.audit.list_page(None, 10, None)
    assert [e.id for e in everyone] == ["evt-003", "evt-002", "evt-001"]


async def test_pages_resume_strictly_before_the_cursor(stores: Stores) -> None:
    # 25 events, several sharing one `at` (the id breaks the tie), two other users mixed in.
    events = [an_event(n, at=NOW + timedelta(seconds=n // 4)) for n in range(25)]
    for event in reversed(events):
        await stores.audit.record(event)
    await stores.audit.record(an_event(90, user="u2", at=events[12].at))
    await stores.audit.record(an_event(91, user="u3", at=events[3].at))
    expected = [e.id for e in sorted(events, key=lambda e: (e.at, e.id), reverse=True)]

    pages: list[list[AuditEvent]] = []
    before: tuple[str, str] | None = None
    while True:
        page = await stores.audit.list_page("u1", 10, before)
        if not page:
            break
        pages.append(page)
        before = cursor(page[-1])
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [e.id for p in pages for e in p] == expected

    everyone = await stores.audit.list_page(None, 100, None)
    assert len(everyone) == 27
    # evt-012..015 and evt-090 share one `at`: the id orders them.
    after_tie = await stores.audit.list_page(None, 3, cursor(events[13]))
    assert [e.id for e in after_tie] == ["evt-012", "evt-011", "evt-010"]
    after_other = await stores.audit.list_page(None, 3, cursor(an_event(90, at=events[12].at)))
    assert [e.id for e in after_other] == ["evt-015", "evt-014", "evt-013"]


async def test_a_page_is_limited(stores: Stores) -> None:
    for n in range(5):
        await stores.audit.record(an_event(n))
    assert [e.id for e in await stores.audit.list_page("u1", 2, None)] == ["evt-004", "evt-003"]
    assert [e.id for e in await stores.audit.list_page("u1", 1, cursor(an_event(1)))] == ["evt-000"]
