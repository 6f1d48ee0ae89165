from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """What the business did, in business terms; the adapter turns it into metrics."""

    def use_case_completed(self, use_case: str, outcome: str, duration_ms: float) -> None:
        """`outcome` is "ok", the class name of the `DomainError` raised, or "error"."""
