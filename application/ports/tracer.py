from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

AttributeValue = str | int | float | bool

# The attribute naming the signed-in user a span acted for (OpenTelemetry's name for it).
USER_ID_ATTRIBUTE = "enduser.id"


class Span(Protocol):
    """One timed unit of work inside a trace."""

    def set_attribute(self, key: str, value: AttributeValue) -> None: ...

    def record_error(self, error: BaseException) -> None:
        """An unexpected failure (a fault), not a business outcome such as a wrong password."""


class Tracer(Protocol):
    """Opens spans; the adapter decides where they go (X-Ray, OpenTelemetry, nowhere)."""

    def span(self, name: str) -> AbstractContextManager[Span]: ...
