"""`application.tracing.Traced` with recording fakes of the `Tracer` and `Metrics` ports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from application.ports.tracer import USER_ID_ATTRIBUTE, AttributeValue
from application.tracing import Traced
from domain.errors import InvalidCredentialsError
from domain.users import Email, Role, User

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class RecordedSpan:
    name: str
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def record_error(self, error: BaseException) -> None:
        self.errors.append(error)


class RecordingTracer:
    def __init__(self) -> None:
        self.spans: list[RecordedSpan] = []

    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[RecordedSpan]:
        span = RecordedSpan(name)
        self.spans.append(span)
        yield span


class RecordingMetrics:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def use_case_completed(self, use_case: str, outcome: str, duration_ms: float) -> None:
        assert duration_ms >= 0
        self.calls.append((use_case, outcome))


def user(user_id: str = "u1") -> User:
    return User(
        id=user_id,
        email=Email("ann@example.com"),
        name="Ann",
        role=Role.USER,
        password_hash="plain$x",
        created_at=NOW,
        updated_at=NOW,
    )


@dataclass(frozen=True)
class Command:
    actor: User | None = None


class Returns:
    def __init__(self, result: object) -> None:
        self.result = result

    async def execute(self, command: object) -> object:
        return self.result


class Raises:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def execute(self, command: object) -> object:
        raise self.error


@pytest.fixture
def tracer() -> RecordingTracer:
    return RecordingTracer()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


async def test_a_successful_call_is_one_span_named_for_the_use_case_with_outcome_ok(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    traced = Traced(Returns(42), "sign_out", tracer, metrics)

    assert await traced.execute(Command()) == 42

    assert [(s.name, s.attributes["outcome"]) for s in tracer.spans] == [("sign_out", "ok")]
    assert metrics.calls == [("sign_out", "ok")]


async def test_a_domain_error_is_the_outcome_by_class_name_and_not_a_fault(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    traced = Traced(Raises(InvalidCredentialsError()), "sign_in", tracer, metrics)

    with pytest.raises(InvalidCredentialsError):
        await traced.execute(Command())

    (span,) = tracer.spans
    assert span.attributes["outcome"] == "InvalidCredentialsError"
    assert span.errors == []
    assert metrics.calls == [("sign_in", "InvalidCredentialsError")]


async def test_an_unexpected_exception_is_recorded_as_a_fault_with_outcome_error(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    boom = RuntimeError("driver exploded")
    traced = Traced(Raises(boom), "get_user", tracer, metrics)

    with pytest.raises(RuntimeError):
        await traced.execute(Command())

    (span,) = tracer.spans
    assert span.attributes["outcome"] == "error"
    assert span.errors == [boom]
    assert metrics.calls == [("get_user", "error")]


async def test_the_span_names_the_acting_user_of_the_command_even_when_the_call_fails(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    traced = Traced(Raises(InvalidCredentialsError()), "change_password", tracer, metrics)

    with pytest.raises(InvalidCredentialsError):
        await traced.execute(Command(actor=user("actor-1")))

    assert tracer.spans[0].attributes[USER_ID_ATTRIBUTE] == "actor-1"


async def test_the_acting_user_wins_over_the_user_an_admin_reads(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    traced = Traced(Returns(user("target")), "get_user", tracer, metrics)

    await traced.execute(Command(actor=user("admin")))

    assert tracer.spans[0].attributes[USER_ID_ATTRIBUTE] == "admin"


async def test_a_user_produced_by_the_call_is_the_acting_user_when_the_command_has_none(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    @dataclass(frozen=True)
    class SignedUp:
        user: User

    await Traced(Returns(user("from-token")), "authenticate", tracer, metrics).execute("tok")
    await Traced(Returns(SignedUp(user("new"))), "sign_up", tracer, metrics).execute(Command())

    assert [s.attributes[USER_ID_ATTRIBUTE] for s in tracer.spans] == ["from-token", "new"]


async def test_no_user_attribute_when_none_is_known(
    tracer: RecordingTracer, metrics: RecordingMetrics
) -> None:
    await Traced(Returns(None), "sign_out", tracer, metrics).execute(Command())

    assert USER_ID_ATTRIBUTE not in tracer.spans[0].attributes
