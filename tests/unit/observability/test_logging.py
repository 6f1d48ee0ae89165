import logging

import pytest

from observability.context import RequestContext, bind_request
from tests.unit.observability.logs import CapturedLogs

pytestmark = pytest.mark.unit

log = logging.getLogger("test.observability")


def test_lines_are_json_with_event_level_logger_timestamp_and_extra_fields(
    json_logs: CapturedLogs,
) -> None:
    log.info("sign_in", extra={"outcome": "success", "user_id": "u1"})

    (line,) = json_logs.lines()
    assert line["event"] == "sign_in"
    assert (line["level"], line["logger"]) == ("info", "test.observability")
    assert (line["outcome"], line["user_id"]) == ("success", "u1")
    assert line["timestamp"].endswith("Z")


def test_lines_written_during_a_request_carry_its_request_lambda_and_trace_ids(
    json_logs: CapturedLogs,
) -> None:
    context = RequestContext("req-1", lambda_request_id="aws-1", trace_id="1-abc-def")
    with bind_request(context):
        log.info("inside")
    log.info("outside")

    inside, outside = json_logs.lines()
    assert (inside["request_id"], inside["lambda_request_id"], inside["trace_id"]) == (
        "req-1",
        "aws-1",
        "1-abc-def",
    )
    assert "request_id" not in outside


@pytest.mark.parametrize(
    "field",
    ["password", "new_password", "refresh_token", "access_token", "password_hash", "Authorization"],
)
def test_a_field_named_for_a_secret_is_masked_even_if_someone_logs_it(
    json_logs: CapturedLogs, field: str
) -> None:
    log.warning("oops", extra={field: "hunter2-super-secret"})

    assert "hunter2-super-secret" not in json_logs.text
    assert json_logs.lines()[0][field] == "[redacted]"


def test_an_exception_is_logged_with_its_traceback(json_logs: CapturedLogs) -> None:
    try:
        raise ValueError("broken invariant")
    except ValueError:
        log.exception("unhandled_error")

    (line,) = json_logs.lines()
    assert line["level"] == "error"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ValueError: broken invariant" in line["exception"]


def test_the_level_comes_from_the_setting(json_logs: CapturedLogs) -> None:
    json_logs.configure("WARNING")
    log.info("hidden")
    log.warning("shown")

    assert [line["event"] for line in json_logs.lines()] == ["shown"]


def test_a_terminal_gets_pretty_console_output_instead_of_json(json_logs: CapturedLogs) -> None:
    json_logs.configure("INFO", pretty=True)
    log.info("pretty_event", extra={"user_id": "u1"})

    assert "pretty_event" in json_logs.text
    assert not json_logs.text.lstrip().startswith("{")
