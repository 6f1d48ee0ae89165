"""Common-password blocklist from zxcvbn's ranked password list (30,000 entries).

zxcvbn is a maintained package that ships the list as data; loading it costs ~10 ms,
so it happens on the first check (sign-up, password change), not at cold start.
"""

from __future__ import annotations

from functools import cached_property


class ZxcvbnPasswordBlocklist:
    def __init__(self, size: int = 30_000) -> None:
        self._size = size

    @cached_property
    def _passwords(self) -> frozenset[str]:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        ranked: list[str] = FREQUENCY_LISTS["passwords"]
        return frozenset(p.casefold() for p in ranked[: self._size])

    def __len__(self) -> int:
        return len(self._passwords)

    def __contains__(self, password: object) -> bool:
        return isinstance(password, str) and password.casefold() in self._passwords
