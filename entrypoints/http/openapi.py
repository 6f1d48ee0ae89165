"""OpenAPI documentation of the failure responses, so the schema lists every status
the API can answer with (schemathesis checks conformance)."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

import msgspec
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, Reference, RequestBody, Schema
from litestar.typing import FieldDefinition

from entrypoints.http.schemas import ProblemOut

PROBLEM_JSON = "application/problem+json"

# Statuses every route with a JSON body can answer with: malformed (400), too large
# (413), not sent as JSON (415), invalid (422).
BODY = (400, 413, 415, 422)


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


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's msgspec schema, plus `additionalProperties: false` for structs that
    forbid unknown fields, so the published schema says what the API enforces (422)."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        # The returned schema is the registered component itself, so marking it is enough.
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


@dataclass
class AcceptedOperation(Operation):
    """The operation of a handler answering an empty 202 ("accepted, an email may
    follow"): documented without content, like a 204."""

    def __post_init__(self) -> None:
        accepted = (self.responses or {}).get("202")
        if accepted is not None and not isinstance(accepted, Reference):
            accepted.content = None


@dataclass
class OptionalBodyOperation(Operation):
    """The operation of a handler whose JSON body may be absent (refresh and sign-out:
    cookie mode sends none). Litestar 2.25 marks every request body `required`, and
    documents a `null` JSON body for a `Response[None]` 204; both would make the schema
    reject requests the API accepts and promise content it never sends."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False
        no_content = (self.responses or {}).get("204")
        if no_content is not None and not isinstance(no_content, Reference):
            no_content.content = None
