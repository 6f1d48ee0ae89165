"""Metrics adapters: CloudWatch Embedded Metric Format (EMF) lines on stdout, or nothing.

Inside a request scope (one per HTTP request, so one per Lambda invocation) everything
recorded is written as a single EMF JSON line when the scope closes, and flushed, so
Lambda's log shipper sees it before the container freezes. Outside a scope (the CLI)
each record is written at once. Limits of the EMF specification are kept: at most 100
metrics per directive, 30 dimensions per set and 100 values per metric; records whose
dimension values clash with the line's start another line.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any, Protocol

from application.ports.metrics import Metrics
from observability import catalog as c

MAX_METRICS_PER_DIRECTIVE = 100
MAX_DIMENSIONS_PER_SET = 30
MAX_VALUES_PER_METRIC = 100


class RequestMetrics(Metrics, Protocol):
    """The `Metrics` port plus what the HTTP layer records."""

    def request_scope(self) -> contextlib.AbstractContextManager[None]: ...

    def request_completed(self, route: str, status: int, duration_ms: float) -> None: ...


class NoopMetrics:
    def use_case_completed(self, use_case: str, outcome: str, duration_ms: float) -> None:
        pass

    def request_scope(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def request_completed(self, route: str, status: int, duration_ms: float) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Record:
    metric: c.Metric
    value: float
    dimensions: dict[str, str]


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class EmfMetrics:
    def __init__(
        self,
        namespace: str,
        service: str,
        *,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._namespace = namespace
        self._service = service
        self._stream = stream
        self._clock = clock
        self._lock = threading.Lock()
        self._scope: ContextVar[list[Record] | None] = ContextVar("emf_scope", default=None)

    # -- the Metrics port -------------------------------------------------------------

    def use_case_completed(self, use_case: str, outcome: str, duration_ms: float) -> None:
        label = c.outcome_label(outcome)
        if outcome == "ServiceBusyError":  # not its StoreUnavailableError subclass
            self._record(c.HASHER_SATURATED, 1)
        if use_case == c.SIGN_UP and outcome == "ok":
            self._record(c.SIGN_UPS, 1)
        elif use_case == c.SIGN_IN:
            self._record(c.SIGN_INS, 1, {c.OUTCOME: label})
        elif use_case == c.REFRESH:
            self._record(c.REFRESHES, 1, {c.OUTCOME: label})
            if outcome == "RefreshReuseError":
                self._record(c.REFRESH_REUSE, 1)

    # -- the HTTP layer ---------------------------------------------------------------

    @contextlib.contextmanager
    def request_scope(self) -> Iterator[None]:
        records: list[Record] = []
        token = self._scope.set(records)
        try:
            yield
        finally:
            self._scope.reset(token)
            self._write(records)

    def request_completed(self, route: str, status: int, duration_ms: float) -> None:
        by_route = {c.ROUTE: route, c.STATUS_CLASS: status_class(status)}
        self._record(c.REQUESTS, 1, by_route)
        self._record(c.LATENCY, round(duration_ms, 3), by_route)
        if status == 429:
            self._record(c.THROTTLED, 1)

    # -- EMF --------------------------------------------------------------------------

    def _record(self, metric: c.Metric, value: float, dims: dict[str, str] | None = None) -> None:
        record = Record(metric, value, {c.SERVICE: self._service, **(dims or {})})
        scope = self._scope.get()
        if scope is None:
            self._write([record])
        else:
            scope.append(record)

    def _write(self, records: list[Record]) -> None:
        if not records:
            return
        lines = [json.dumps(doc, separators=(",", ":")) for doc in self.documents(records)]
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write("".join(line + "\n" for line in lines))
            stream.flush()

    def documents(self, records: list[Record]) -> list[dict[str, Any]]:
        """EMF documents for the records: as few as the dimension values allow."""
        timestamp = int(self._clock() * 1000)
        docs: list[_Document] = []
        for record in records:
            doc = next((d for d in docs if d.accepts(record)), None)
            if doc is None:
                doc = _Document()
                docs.append(doc)
            doc.add(record)
        return [doc.render(self._namespace, timestamp) for doc in docs]


class _Document:
    def __init__(self) -> None:
        self.dimensions: dict[str, str] = {}
        self.values: dict[str, list[float]] = {}
        self.metrics: dict[str, c.Metric] = {}

    def accepts(self, record: Record) -> bool:
        known = self.metrics.get(record.metric.name)
        if known is not None and len(self.values[known.name]) >= MAX_VALUES_PER_METRIC:
            return False
        return all(self.dimensions.get(k, v) == v for k, v in record.dimensions.items())

    def add(self, record: Record) -> None:
        self.dimensions.update(record.dimensions)
        self.metrics[record.metric.name] = record.metric
        self.values.setdefault(record.metric.name, []).append(record.value)

    def render(self, namespace: str, timestamp: int) -> dict[str, Any]:
        groups: dict[tuple[tuple[str, ...], ...], list[c.Metric]] = {}
        for metric in self.metrics.values():
            # Only sets whose every dimension this line carries (EMF requires the members).
            sets = tuple(
                s[:MAX_DIMENSIONS_PER_SET]
                for s in metric.dimension_sets
                if all(d in self.dimensions for d in s)
            )
            groups.setdefault(sets, []).append(metric)
        directives = [
            {
                "Namespace": namespace,
                "Dimensions": [list(s) for s in sets],
                "Metrics": [{"Name": m.name, "Unit": m.unit} for m in chunk],
            }
            for sets, metrics in groups.items()
            for chunk in _chunks(metrics, MAX_METRICS_PER_DIRECTIVE)
        ]
        doc: dict[str, Any] = {"_aws": {"Timestamp": timestamp, "CloudWatchMetrics": directives}}
        doc.update(self.dimensions)
        for name, values in self.values.items():
            doc[name] = values[0] if len(values) == 1 else values
        return doc


def _chunks(items: list[c.Metric], size: int) -> Iterator[list[c.Metric]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
