"""`Auditor`: how use cases append to the audit trail."""

from __future__ import annotations

import logging
from datetime import datetime

from application.context import ClientInfo
from application.ports.audit_log import AuditLog
from application.ports.system import Clock, IdGenerator
from domain.audit import AuditEvent, AuditEventType
from domain.errors import ServiceBusyError

log = logging.getLogger("audit")


class Auditor:
    """Builds events from the request's client and appends them.

    The action an event records has already happened when it is written, so a failing
    audit store must not turn that success into an error (the client would retry an
    action that took place): the failure is logged as an error, loudly, instead. Use
    cases therefore record after their last other write, so a store outage costs a
    request one timeout, not two.
    """

    def __init__(self, trail: AuditLog, clock: Clock, ids: IdGenerator) -> None:
        self._trail = trail
        self._clock = clock
        self._ids = ids
        self._sequence = 0

    def _event_id(self, at: datetime) -> str:
        """An id that sorts like the events: the trail lists newest first by (time, id),
        and the events of one request often share a millisecond (a backup code used,
        then the sign-in it completed). Time, then a per-process sequence, then random."""
        self._sequence = (self._sequence + 1) % 0x10000
        millis = int(at.timestamp() * 1000)
        return f"{millis:012x}{self._sequence:04x}{self._ids.new_id()[:16]}"

    async def record(
        self,
        type: AuditEventType,
        user_id: str,
        client: ClientInfo,
        *,
        actor_id: str | None = None,
        **details: str,
    ) -> None:
        at = self._clock.now()
        event = AuditEvent(
            id=self._event_id(at),
            type=type,
            at=at,
            user_id=user_id,
            actor_id=actor_id,
            ip=client.ip,
            request_id=client.request_id,
            user_agent=client.device,
            details=details,
        )
        try:
            await self._trail.record(event)
        except ServiceBusyError:
            log.error("audit_write_failed", extra={"event_type": type.value, "user_id": user_id})
