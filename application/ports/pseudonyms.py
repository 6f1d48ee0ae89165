from __future__ import annotations

from typing import Protocol


class Pseudonyms(Protocol):
    """Keyed, irreversible identifiers for what a client typed (an email address that
    may be someone's, or a password typed into the email field).

    Stored throttle keys and the audit subject of an unknown account are pseudonyms,
    never the value or a bare hash of it: a bare hash lets anyone who reads the store
    confirm a guess offline. A pseudonym needs the server's key (an HMAC).
    """

    def of(self, kind: str, value: str) -> str:
        """A stable hex pseudonym of `value` within `kind` (e.g. "email")."""
