"""`Traced`: the one place where use cases meet the `Tracer` and `Metrics` ports.

The composition root wraps every use case in it, so the use cases themselves stay free
of telemetry. Each call becomes a span named for the use case with its outcome ("ok",
the `DomainError` class name, or "error" for anything unexpected), and the same outcome
is reported to `Metrics`.
"""

from __future__ import annotations

import time
from typing import Any, Generic, Protocol, TypeVar

from application.ports.metrics import Metrics
from application.ports.tracer import USER_ID_ATTRIBUTE, Tracer
from domain.errors import DomainError
from domain.users import User

C = TypeVar("C", contravariant=True)
R = TypeVar("R", covariant=True)
C2 = TypeVar("C2")
R2 = TypeVar("R2")

OK = "ok"
ERROR = "error"


class UseCase(Protocol[C, R]):
    async def execute(self, command: C, /) -> R: ...


def actor_id(command: Any, result: Any) -> str | None:
    """The signed-in user the call acted for: the command's actor, else the user it
    produced (authenticate, sign-up). Never the target of an admin's action."""
    for candidate in (getattr(command, "actor", None), result, getattr(result, "user", None)):
        if isinstance(candidate, User):
            return candidate.id
    return None


class Traced(Generic[C2, R2]):
    def __init__(
        self, use_case: UseCase[C2, R2], name: str, tracer: Tracer, metrics: Metrics
    ) -> None:
        self._use_case = use_case
        self.name = name
        self._tracer = tracer
        self._metrics = metrics

    async def execute(self, command: C2, /) -> R2:
        started = time.perf_counter()
        outcome = ERROR
        user_id = actor_id(command, None)
        with self._tracer.span(self.name) as span:
            try:
                result = await self._use_case.execute(command)
            except DomainError as exc:
                outcome = type(exc).__name__
                raise
            except Exception as exc:
                span.record_error(exc)
                raise
            else:
                outcome = OK
                user_id = user_id or actor_id(None, result)
                return result
            finally:
                span.set_attribute("outcome", outcome)
                if user_id is not None:
                    span.set_attribute(USER_ID_ATTRIBUTE, user_id)
                elapsed_ms = (time.perf_counter() - started) * 1e3
                self._metrics.use_case_completed(self.name, outcome, elapsed_ms)
