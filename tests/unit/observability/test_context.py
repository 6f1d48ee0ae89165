import pytest

from observability.context import (
    RequestContext,
    bind_request,
    current_invocation,
    current_request,
    lambda_invocation,
    note_attribute,
    xray_trace_id,
)

pytestmark = pytest.mark.unit


ROOT = "1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", ROOT),
        (f"Root={ROOT.upper()};Sampled=0", ROOT),
        (f"Self=1-aaa;Root={ROOT}", ROOT),
        ("Root=not-a-trace-id", None),
        ("", None),
        (None, None),
    ],
)
def test_the_trace_id_is_the_root_of_an_x_ray_header_or_nothing(
    header: str | None, expected: str | None
) -> None:
    assert xray_trace_id(header) == expected


def test_the_invocation_and_the_request_are_bound_only_inside_their_blocks() -> None:
    with lambda_invocation("aws-1", "Root=x"):
        assert current_invocation() is not None
        with bind_request(RequestContext("r-1")) as request:
            assert current_request() is request
        assert current_request() is None
    assert current_invocation() is None


def test_the_user_attribute_of_a_span_becomes_the_requests_user_and_others_do_not() -> None:
    with bind_request(RequestContext("r-1")) as request:
        note_attribute("outcome", "ok")
        assert request.user_id is None
        note_attribute("enduser.id", "u-1")

    assert request.user_id == "u-1"
    note_attribute("enduser.id", "nobody listening")  # outside a request: no effect
