"""OpenAPI documentation of the failure responses, so the schema lists every status
the API can answer with (schemathesis checks conformance)."""

from __future__ import annotations

from http import HTTPStatus

from litestar.openapi.datastructures import ResponseSpec

from entrypoints.http.schemas import ProblemOut

PROBLEM_JSON = "application/problem+json"

# Statuses every route with a JSON body can answer with.
BODY = (400, 413, 422)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """`responses=` for a handler: each status documented as an RFC 9457 problem."""
    return {
        status: ResponseSpec(
            data_container=ProblemOut,
            description=HTTPStatus(status).phrase,
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }
