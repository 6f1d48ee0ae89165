"""Where a request came from: recorded on sessions and in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEVICE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str = "unknown"
    user_agent: str = ""
    request_id: str = ""

    @property
    def device(self) -> str:
        """A label for the session list: the user agent, bounded."""
        return self.user_agent[:MAX_DEVICE_LENGTH]


NO_CLIENT = ClientInfo()
