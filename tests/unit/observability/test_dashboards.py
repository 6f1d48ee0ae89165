"""The dashboards are valid classic-model JSON for Grafana and query provisioned sources."""

from __future__ import annotations

import json
from itertools import combinations
from typing import Any

import pytest
import yaml

from observability.grafana.dashboards import OVERVIEW_UID, TRACES_UID, dashboards
from observability.grafana.panels import GRID_WIDTH, SCHEMA_VERSION
from observability.grafana.render import datasources_yaml

pytestmark = pytest.mark.unit

BOARDS = dashboards()
ids = [board["uid"] for board in BOARDS]


def provisioned() -> dict[str, str]:
    sources = yaml.safe_load(datasources_yaml("eu-west-1"))["datasources"]
    return {source["uid"]: source["type"] for source in sources}


def overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def test_the_dashboards_have_stable_uids() -> None:
    assert (
        ids == [OVERVIEW_UID, TRACES_UID] == ["serverless-auth-overview", "serverless-auth-traces"]
    )


@pytest.mark.parametrize("board", BOARDS, ids=ids)
def test_a_dashboard_is_json_with_the_current_schema_version(board: dict[str, Any]) -> None:
    assert json.loads(json.dumps(board)) == board
    assert board["schemaVersion"] == SCHEMA_VERSION >= 41
    assert {"uid", "title", "panels", "templating", "time"} <= board.keys()


@pytest.mark.parametrize("board", BOARDS, ids=ids)
def test_every_panel_has_a_unique_id_and_a_place_on_the_grid(board: dict[str, Any]) -> None:
    panel_ids = [panel["id"] for panel in board["panels"]]
    assert len(panel_ids) == len(set(panel_ids))
    assert all(isinstance(i, int) and i > 0 for i in panel_ids)
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert min(pos["x"], pos["y"]) >= 0
        assert min(pos["w"], pos["h"]) > 0
        assert pos["x"] + pos["w"] <= GRID_WIDTH


@pytest.mark.parametrize("board", BOARDS, ids=ids)
def test_no_two_panels_overlap(board: dict[str, Any]) -> None:
    for a, b in combinations(board["panels"], 2):
        assert not overlap(a["gridPos"], b["gridPos"]), (a["title"], b["title"])


@pytest.mark.parametrize("board", BOARDS, ids=ids)
def test_every_datasource_uid_resolves_to_a_provisioned_datasource_of_its_type(
    board: dict[str, Any],
) -> None:
    sources = provisioned()
    references = [v["datasource"] for v in board["templating"]["list"]]
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        references.append(panel["datasource"])
        references += [target["datasource"] for target in panel["targets"]]
    assert references
    for ref in references:
        assert sources.get(ref["uid"]) == ref["type"], ref


@pytest.mark.parametrize("board", BOARDS, ids=ids)
def test_every_target_has_a_ref_id_unique_within_its_panel(board: dict[str, Any]) -> None:
    for panel in board["panels"]:
        refs = [target["refId"] for target in panel.get("targets", [])]
        assert len(refs) == len(set(refs)), panel["title"]


def test_the_overview_has_region_stage_and_function_variables_used_by_its_queries() -> None:
    overview = BOARDS[0]
    names = [v["name"] for v in overview["templating"]["list"]]
    assert {"region", "stage", "function"} <= set(names)
    text = json.dumps(overview["panels"])
    for name in ("region", "stage", "function"):
        assert f"${name}" in text


def test_the_overview_covers_api_gateway_lambda_waf_and_the_logs() -> None:
    metrics = {
        (t["namespace"], t["metricName"], t["statistic"])
        for panel in BOARDS[0]["panels"]
        for t in panel.get("targets", [])
        if t.get("queryMode") == "Metrics"
    }
    expected = (
        {
            ("AWS/ApiGateway", name, stat)
            for name, stat in [
                ("Count", "Sum"),
                ("4XXError", "Sum"),
                ("5XXError", "Sum"),
                ("Latency", "p95"),
                ("IntegrationLatency", "p95"),
            ]
        }
        | {
            ("AWS/Lambda", name, stat)
            for name, stat in [
                ("Invocations", "Sum"),
                ("Errors", "Sum"),
                ("Throttles", "Sum"),
                ("Duration", "p50"),
                ("Duration", "p95"),
                ("Duration", "p99"),
                ("ConcurrentExecutions", "Maximum"),
            ]
        }
        | {("AWS/WAFV2", "AllowedRequests", "Sum"), ("AWS/WAFV2", "BlockedRequests", "Sum")}
    )
    assert expected <= metrics


def test_the_traces_dashboard_has_a_service_map_a_trace_list_and_latency() -> None:
    kinds = {
        (panel["type"], target["queryType"])
        for panel in BOARDS[1]["panels"]
        for target in panel["targets"]
    }
    assert {
        ("nodeGraph", "getServiceMap"),
        ("table", "getTraceSummaries"),
        ("timeseries", "getTimeSeriesServiceStatistics"),
    } <= kinds


def test_the_overview_opens_with_the_signals_the_security_alarms_watch() -> None:
    """infra/stacks/alarms.py alarms on these (tests/infra checks every alarmed metric
    has a panel); here: the row, its filters and the threshold lines."""
    panels = BOARDS[0]["panels"]
    assert panels[0]["type"] == "row"
    assert panels[0]["title"].startswith("Security signals")
    row = []
    for panel in panels[1:]:
        if panel["type"] == "row":
            break
        row.append(panel)
    queries = {
        (t["namespace"], t["metricName"]): t["dimensions"]
        for panel in row
        for t in panel["targets"]
    }
    assert queries[("ServerlessAuth", "RefreshReuseDetected")] == {"Service": "$function"}
    assert queries[("ServerlessAuth", "SignIns")] == {
        "Service": "$function",
        "Outcome": "invalid_credentials",
    }
    assert queries[("ServerlessAuth", "ThrottledRequests")] == {"Service": "$function"}
    assert queries[("AWS/WAFV2", "BlockedRequests")]["Rule"] == "AuthRateLimit"
    reuse = next(p for p in row if "reuse" in p["title"].lower())
    steps = reuse["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1]["value"] == 1
    assert reuse["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line"
