"""The catalog, the emitting code and the dashboards agree (that the service really
emits each metric is proven end to end in tests/integration/test_observability_metrics.py)."""

from __future__ import annotations

from typing import Any

import pytest

from observability import catalog as c
from observability.grafana.dashboards import dashboards

pytestmark = pytest.mark.unit


def targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for panel in board["panels"] for t in panel.get("targets", [])]


def our_metric_targets() -> list[dict[str, Any]]:
    return [
        t
        for board in dashboards()
        for t in targets(board)
        if t.get("queryMode") == "Metrics" and t["namespace"] == c.DEFAULT_NAMESPACE
    ]


def test_every_metric_a_panel_queries_in_our_namespace_is_in_the_catalog() -> None:
    names = {metric.name for metric in c.METRICS}

    assert {t["metricName"] for t in our_metric_targets()} <= names


def test_every_catalog_metric_appears_on_a_panel() -> None:
    assert {t["metricName"] for t in our_metric_targets()} == {m.name for m in c.METRICS}


def test_panels_filter_only_on_dimensions_the_metric_has() -> None:
    by_name = {metric.name: metric for metric in c.METRICS}
    for target in our_metric_targets():
        metric = by_name[target["metricName"]]
        assert set(target["dimensions"]) <= set(metric.dimensions), target["metricName"]
        if target["matchExact"]:
            assert tuple(target["dimensions"]) in metric.dimension_sets, target["metricName"]


def test_every_logs_insights_panel_runs_a_catalog_query_and_every_query_has_a_panel() -> None:
    queries = {
        t["expression"]
        for board in dashboards()
        for t in targets(board)
        if t.get("queryMode") == "Logs"
    }

    assert queries == {query.query for query in c.LOG_QUERIES}


def test_the_dashboards_follow_the_namespace_the_service_is_configured_with() -> None:
    custom = [
        t["metricName"]
        for board in dashboards("Custom/Auth")
        for t in targets(board)
        if t.get("namespace") == "Custom/Auth"
    ]

    assert set(custom) == {m.name for m in c.METRICS}


def test_metric_names_units_and_dimension_sets_are_within_emf_limits() -> None:
    for metric in c.METRICS:
        assert 0 < len(metric.name) <= 255
        assert metric.unit in {"Count", "Milliseconds"}
        assert all(0 < len(s) <= 30 for s in metric.dimension_sets)
        assert all(s[0] == c.SERVICE for s in metric.dimension_sets)
