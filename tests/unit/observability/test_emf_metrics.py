import io
import json

import pytest

from observability import catalog as c
from observability.metrics import EmfMetrics, Record
from tests.unit.observability.emf_spec import assert_valid_emf, emf_lines, metric_names

pytestmark = pytest.mark.unit

NOW = 1_795_548_825.123


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def emf(out: io.StringIO) -> EmfMetrics:
    return EmfMetrics("ServerlessAuth", "auth-prod", stream=out, clock=lambda: NOW)


def test_a_request_scope_writes_one_valid_emf_line_with_every_metric_recorded_in_it(
    emf: EmfMetrics, out: io.StringIO
) -> None:
    with emf.request_scope():
        emf.use_case_completed(c.SIGN_IN, "ok", 12.0)
        emf.request_completed("/api/v1/auth/sign-in", 200, 15.25)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    document = assert_valid_emf(lines[0])
    assert document["_aws"]["Timestamp"] == 1_795_548_825_123
    assert document["Service"] == "auth-prod"
    assert document["Route"] == "/api/v1/auth/sign-in"
    assert document["StatusClass"] == "2xx"
    assert document["Outcome"] == "success"
    assert (document["Requests"], document["Latency"], document["SignIns"]) == (1, 15.25, 1)


def test_the_request_metrics_carry_both_the_per_route_and_the_service_wide_dimension_sets(
    emf: EmfMetrics, out: io.StringIO
) -> None:
    with emf.request_scope():
        emf.request_completed("/health", 200, 1.0)

    (document,) = emf_lines(out.getvalue())
    directive = next(
        d for d in document["_aws"]["CloudWatchMetrics"] if d["Metrics"][0]["Name"] == "Requests"
    )
    assert directive["Namespace"] == "ServerlessAuth"
    assert directive["Dimensions"] == [["Service", "Route", "StatusClass"], ["Service"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "Requests": "Count",
        "Latency": "Milliseconds",
    }


def test_nothing_is_written_until_the_scope_closes(emf: EmfMetrics, out: io.StringIO) -> None:
    with emf.request_scope():
        emf.request_completed("/health", 200, 1.0)
        assert out.getvalue() == ""

    assert out.getvalue().count("\n") == 1


def test_outside_a_request_scope_each_record_is_written_at_once(
    emf: EmfMetrics, out: io.StringIO
) -> None:
    emf.use_case_completed(c.SIGN_UP, "ok", 3.0)

    assert metric_names(emf_lines(out.getvalue())) == {"SignUps"}


@pytest.mark.parametrize(
    ("outcome", "label"),
    [
        ("ok", "success"),
        ("InvalidCredentialsError", "invalid_credentials"),
        ("TooManyAttemptsError", "throttled"),
        ("ServiceBusyError", "busy"),
        ("error", "error"),
        ("SomethingNewError", "other"),
    ],
)
def test_sign_ins_are_counted_by_a_bounded_outcome_label(
    emf: EmfMetrics, out: io.StringIO, outcome: str, label: str
) -> None:
    emf.use_case_completed(c.SIGN_IN, outcome, 1.0)

    documents = [d for d in emf_lines(out.getvalue()) if "SignIns" in d]
    assert [d["Outcome"] for d in documents] == [label]


def test_a_saturated_hasher_counts_but_an_unavailable_store_does_not(
    emf: EmfMetrics, out: io.StringIO
) -> None:
    emf.use_case_completed(c.CHANGE_PASSWORD, "ServiceBusyError", 1.0)
    emf.use_case_completed(c.GET_USER, "StoreUnavailableError", 1.0)

    assert metric_names(emf_lines(out.getvalue())) == {"HasherSaturated"}


def test_a_reused_refresh_token_counts_as_a_refresh_and_as_a_reuse_detection(
    emf: EmfMetrics, out: io.StringIO
) -> None:
    with emf.request_scope():
        emf.use_case_completed(c.REFRESH, "RefreshReuseError", 1.0)

    (document,) = emf_lines(out.getvalue())
    assert document["Refreshes"] == 1
    assert document["Outcome"] == "reuse_detected"
    assert document["RefreshReuseDetected"] == 1


def test_a_failed_sign_up_and_other_use_cases_emit_nothing(
    emf: EmfMetrics, out: io.StringIO
) -> None:
    emf.use_case_completed(c.SIGN_UP, "EmailTakenError", 1.0)
    emf.use_case_completed(c.AUTHENTICATE, "ok", 1.0)
    emf.use_case_completed(c.SIGN_OUT, "ok", 1.0)

    assert out.getvalue() == ""


def test_a_429_counts_as_a_throttled_request(emf: EmfMetrics, out: io.StringIO) -> None:
    emf.request_completed("/api/v1/auth/sign-in", 429, 2.0)

    names = metric_names(emf_lines(out.getvalue()))
    assert "ThrottledRequests" in names


def test_records_with_clashing_dimension_values_go_to_separate_valid_documents(
    emf: EmfMetrics,
) -> None:
    records = [
        Record(c.SIGN_INS, 1, {"Service": "s", "Outcome": "success"}),
        Record(c.REFRESHES, 1, {"Service": "s", "Outcome": "invalid_token"}),
    ]

    documents = emf.documents(records)

    assert [d["Outcome"] for d in documents] == ["success", "invalid_token"]
    for document in documents:
        assert_valid_emf(json.dumps(document))


def test_repeated_values_of_a_metric_become_arrays_of_at_most_one_hundred(
    emf: EmfMetrics,
) -> None:
    dimensions = {"Service": "s", "Route": "/health", "StatusClass": "2xx"}
    records = [Record(c.LATENCY, float(i), dimensions) for i in range(150)]

    documents = emf.documents(records)

    assert [len(d["Latency"]) for d in documents] == [100, 50]
    for document in documents:
        assert_valid_emf(json.dumps(document))


def test_status_codes_become_status_classes(emf: EmfMetrics, out: io.StringIO) -> None:
    for status in (201, 302, 404, 503):
        emf.request_completed("/r", status, 1.0)

    classes = [d["StatusClass"] for d in emf_lines(out.getvalue()) if "Requests" in d]
    assert classes == ["2xx", "3xx", "4xx", "5xx"]


def test_a_dimension_set_the_line_cannot_fill_is_left_out_rather_than_made_invalid(
    emf: EmfMetrics,
) -> None:
    (document,) = emf.documents([Record(c.LATENCY, 1.0, {"Service": "s"})])

    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service"]]
    assert_valid_emf(json.dumps(document))
