"""Where a request came from: recorded on sessions and in the audit trail."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_DEVICE_LENGTH = 200
# An IPv6 client usually holds a whole /64 (SLAAC, privacy addresses): per-client
# limits that counted each address apart could be dodged by rotating through it.
IPV6_CLIENT_PREFIX = 64


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str = "unknown"
    user_agent: str = ""
    request_id: str = ""

    @property
    def network(self) -> str:
        """The client as per-client limits count it: an IPv4 address, or the /64 of an
        IPv6 address (IPv4-mapped ones count as IPv4); anything else as it came."""
        try:
            address = ipaddress.ip_address(self.ip)
        except ValueError:
            return self.ip
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                return str(address.ipv4_mapped)
            return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
        return str(address)

    @property
    def device(self) -> str:
        """A label for the session list: the user agent, bounded."""
        return self.user_agent[:MAX_DEVICE_LENGTH]


NO_CLIENT = ClientInfo()
