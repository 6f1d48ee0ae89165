"""`XRayTracer`: spans as X-Ray subsegments through `aws-xray-sdk`.

On Lambda the runtime owns the trace: the SDK builds a facade segment from
`_X_AMZN_TRACE_ID` on every invocation, the request and each use case become
subsegments under it, and they are streamed to the X-Ray daemon as they close. Elsewhere
each request is a segment of its own (continuing an `X-Amzn-Trace-Id` header if sent),
sent to the daemon at `AWS_XRAY_DAEMON_ADDRESS` (default 127.0.0.1:2000) when it ends.

The X-Ray SDK is in maintenance mode; `OtelTracer` is the path AWS recommends now.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from aws_xray_sdk.core.models.subsegment import Subsegment
from aws_xray_sdk.core.models.trace_header import TraceHeader
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler

from application.ports.tracer import AttributeValue
from observability.context import note_attribute, xray_trace_id
from observability.tracing.mongo import instrument_pymongo

# The trace id of the SDK's dummy segments (no trace header, or the SDK disabled).
NO_TRACE = "1-00000000-"


class _ContextLocal:
    """`threading.local`'s interface over a ContextVar: concurrent requests on one event
    loop each see their own segment (the SDK's default is per thread)."""

    def __init__(self) -> None:
        object.__setattr__(self, "_var", ContextVar("xray_entities", default=None))

    def __getattr__(self, name: str) -> Any:
        values = self._var.get()
        if values is None or name not in values:
            raise AttributeError(name)
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self._var.set({**(self._var.get() or {}), name: value})

    def clear(self) -> None:
        self._var.set(None)


class TaskContext(Context):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(context_missing="IGNORE_ERROR")
        self._local = _ContextLocal()

    def clear_trace_entities(self) -> None:
        self._local.clear()


class XRaySpan:
    def __init__(self, entity: Any, trace_id: str | None = None, *, named: bool = True) -> None:
        self._entity = entity
        self.trace_id = trace_id
        # A segment keeps the service's name (its node on the service map); a request
        # subsegment takes its route's.
        self._named = named

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        note_attribute(key, value)
        # Annotations are indexed (searchable); their keys allow only letters, digits, _.
        self._entity.put_annotation(key.replace(".", "_"), value)

    def record_error(self, error: BaseException) -> None:
        self._entity.add_exception(error, traceback.extract_tb(error.__traceback__))

    def finish(self, route: str, status: int) -> None:
        if not self._named:
            method = self._entity.http.get("request", {}).get("method", "")
            self._entity.name = f"{method} {route}".strip()
        self._entity.put_http_meta("url", route)
        self._entity.put_http_meta("status", status)
        self._entity.apply_status_code(status)


class _Unsampled:
    """Stands in for an entity the SDK did not create (no trace or not sampled)."""

    http: dict[str, Any] = {}  # noqa: RUF012 - read-only, shared on purpose
    name = ""

    def put_annotation(self, key: str, value: object) -> None:
        pass

    def add_exception(self, exception: BaseException, stack: object) -> None:
        pass

    def put_http_meta(self, key: str, value: object) -> None:
        pass

    def apply_status_code(self, status: int) -> None:
        pass


class XRayTracer:
    def __init__(
        self, service_name: str, recorder: Any = None, *, instrument_mongo: bool = False
    ) -> None:
        self._recorder = recorder if recorder is not None else xray_recorder
        self._service = service_name
        self.in_lambda = isinstance(self._recorder.context, LambdaContext)
        if not self.in_lambda:
            # Every request is sampled unless its header says otherwise: no daemon-side
            # sampling rules to poll (the local sampler is never asked).
            self._recorder.configure(
                service=service_name, sampling=False, sampler=LocalSampler(), context=TaskContext()
            )
        if instrument_mongo:
            instrument_pymongo(self)

    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[XRaySpan]:
        entity = self._recorder.begin_subsegment(name)
        try:
            yield XRaySpan(entity if entity is not None else _Unsampled())
        finally:
            if entity is not None:
                self._recorder.end_subsegment()

    @contextlib.contextmanager
    def request(self, method: str, trace_header: str | None) -> Iterator[XRaySpan]:
        if self.in_lambda:
            entity = self._recorder.begin_subsegment(f"{method} request")
            end = self._recorder.end_subsegment
        else:
            header = TraceHeader.from_header_str(trace_header)
            entity = self._recorder.begin_segment(
                self._service, traceid=header.root, parent_id=header.parent, sampling=header.sampled
            )
            end = self._recorder.end_segment
        trace_id = getattr(self._recorder.current_segment(), "trace_id", None)
        if not isinstance(trace_id, str) or trace_id.startswith(NO_TRACE):
            trace_id = xray_trace_id(trace_header)
        sampled = entity if getattr(entity, "sampled", False) else _Unsampled()
        span = XRaySpan(sampled, trace_id, named=not self.in_lambda)
        if entity is not None:
            span._entity.put_http_meta("method", method)
        try:
            yield span
        except BaseException as exc:
            span.record_error(exc)
            raise
        finally:
            if entity is not None:
                end()

    def flush(self) -> None:
        """Nothing buffered: the SDK sends each entity over UDP as it closes."""

    # -- pymongo commands (observability/tracing/mongo.py) ----------------------------

    def command_started(self, name: str, attributes: dict[str, str | int]) -> Any | None:
        parent = self._recorder.get_trace_entity()
        if parent is None or not getattr(parent, "sampled", False):
            return None
        segment = getattr(parent, "parent_segment", parent)
        subsegment = Subsegment(name, "remote", segment)
        parent.add_subsegment(subsegment)
        for key, value in attributes.items():
            subsegment.put_annotation(key.replace(".", "_"), value)
        return subsegment

    def command_ended(self, handle: Any, duration_micros: int, failed: bool) -> None:
        handle.put_annotation("duration_micros", duration_micros)
        if failed:
            handle.add_fault_flag()
        handle.close()
