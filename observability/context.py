"""Who and what a log line, span or metric belongs to, carried in context variables.

The Lambda handler binds the invocation (AWS request id, X-Ray trace header) and the
HTTP layer binds each request (request id, trace id, and the user once a use case has
identified them). Context variables follow the request into every task Litestar starts.
A bound context is a mutable object, so what a child task notes reaches the parent.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from application.ports.tracer import USER_ID_ATTRIBUTE, AttributeValue

# `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`
XRAY_ROOT = re.compile(r"(?:^|;)\s*Root=(1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24})")


@dataclass(frozen=True, slots=True)
class Invocation:
    aws_request_id: str | None
    trace_header: str | None


@dataclass(slots=True)
class RequestContext:
    request_id: str
    lambda_request_id: str | None = None
    trace_id: str | None = None
    user_id: str | None = None


_invocation: ContextVar[Invocation | None] = ContextVar("invocation", default=None)
_request: ContextVar[RequestContext | None] = ContextVar("request", default=None)


def xray_trace_id(header: str | None) -> str | None:
    """The `Root` of an X-Ray trace header (`1-xxxxxxxx-yyyy…`), if it has a valid one."""
    found = XRAY_ROOT.search(header) if header else None
    return found.group(1).lower() if found else None


@contextlib.contextmanager
def lambda_invocation(aws_request_id: str | None, trace_header: str | None) -> Iterator[Invocation]:
    invocation = Invocation(aws_request_id, trace_header)
    token = _invocation.set(invocation)
    try:
        yield invocation
    finally:
        _invocation.reset(token)


def current_invocation() -> Invocation | None:
    return _invocation.get()


@contextlib.contextmanager
def bind_request(context: RequestContext) -> Iterator[RequestContext]:
    token = _request.set(context)
    try:
        yield context
    finally:
        _request.reset(token)


def current_request() -> RequestContext | None:
    return _request.get()


def note_attribute(key: str, value: AttributeValue) -> None:
    """Span adapters call this for every attribute: the user a use case identified
    becomes the request's user (for the access log)."""
    if key == USER_ID_ATTRIBUTE:
        request = _request.get()
        if request is not None:
            request.user_id = str(value)
