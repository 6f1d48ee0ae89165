from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC time."""


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A unique, URL-safe identifier for an entity."""

    def new_secret(self) -> str:
        """An unguessable token of at least 256 random bits, URL-safe."""


class StoreProbe(Protocol):
    async def ping(self) -> None:
        """Return when the store answers; `StoreUnavailableError` when it does not in time."""
