from __future__ import annotations

from typing import Protocol


class PasswordBlocklist(Protocol):
    """Common passwords, compared after `str.casefold()`."""

    def __contains__(self, password: object) -> bool: ...
