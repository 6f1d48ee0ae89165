"""Small builders for the classic dashboard JSON model: panels laid out on Grafana's
24-column grid, and the query shapes of the CloudWatch and X-Ray data sources."""

from __future__ import annotations

from typing import Any

from observability.grafana.datasources import CLOUDWATCH, XRAY

GRID_WIDTH = 24
# Grafana 12's classic-model schema version (the `LATEST_VERSION` of its migrations).
SCHEMA_VERSION = 42
LAMBDA_LOG_GROUP = "/aws/lambda/$function"


class Layout:
    """Places panels left to right, wrapping to a new row when the grid is full."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.next_id = 1
        self.panels: list[dict[str, Any]] = []

    def add(self, panel: dict[str, Any], w: int = 8, h: int = 8) -> None:
        if self.x + w > GRID_WIDTH:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel["id"] = self.next_id
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.panels.append(panel)
        self.next_id += 1
        self.x += w
        self.row_height = max(self.row_height, h)

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, GRID_WIDTH, 1)


def metric(
    ref: str,
    namespace: str,
    name: str,
    dimensions: dict[str, str],
    statistic: str = "Sum",
    *,
    label: str = "",
    match_exact: bool = True,
) -> dict[str, Any]:
    """A CloudWatch metric query in builder mode (`matchExact: false` also matches
    metrics that carry further dimensions, e.g. every route of a service)."""
    return {
        "refId": ref,
        "datasource": dict(CLOUDWATCH),
        "queryMode": "Metrics",
        "metricQueryType": 0,
        "metricEditorMode": 0,
        "region": "$region",
        "namespace": namespace,
        "metricName": name,
        "dimensions": dimensions,
        "matchExact": match_exact,
        "statistic": statistic,
        "period": "",
        "id": "",
        "expression": "",
        "label": label,
    }


def logs(ref: str, query: str) -> dict[str, Any]:
    """A CloudWatch Logs Insights query over the function's log group."""
    return {
        "refId": ref,
        "datasource": dict(CLOUDWATCH),
        "queryMode": "Logs",
        "region": "$region",
        "logGroupNames": [LAMBDA_LOG_GROUP],
        "logGroups": [{"arn": "", "name": LAMBDA_LOG_GROUP}],
        "expression": query,
        "statsGroups": [],
    }


def xray(ref: str, query_type: str, query: str, **extra: Any) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasource": dict(XRAY),
        "queryType": query_type,
        "query": query,
        "region": "$region",
        **extra,
    }


def panel(
    kind: str, title: str, targets: list[dict[str, Any]], unit: str = "short"
) -> dict[str, Any]:
    datasource = targets[0]["datasource"]
    return {
        "type": kind,
        "title": title,
        "datasource": dict(datasource),
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }


def timeseries(
    title: str,
    targets: list[dict[str, Any]],
    unit: str = "short",
    *,
    threshold: float | None = None,
) -> dict[str, Any]:
    """A time series; `threshold` draws an alarm's threshold as a red line."""
    built = panel("timeseries", title, targets, unit)
    if threshold is not None:
        defaults = built["fieldConfig"]["defaults"]
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": "green", "value": None}, {"color": "red", "value": threshold}],
        }
        defaults["custom"] = {"thresholdsStyle": {"mode": "line"}}
    return built


def query_variable(name: str, label: str, query: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": dict(CLOUDWATCH),
        "query": {"refId": f"variable-{name}", **query},
        "refresh": 1,
        "includeAll": False,
        "multi": False,
        "sort": 1,
        "current": {},
        "options": [],
        "hide": 0,
    }


def dimension_values(
    name: str,
    label: str,
    namespace: str,
    metric_name: str,
    key: str,
    filters: dict[str, str] | None = None,
) -> dict[str, Any]:
    return query_variable(
        name,
        label,
        {
            "queryType": "DimensionValues",
            "region": "$region",
            "namespace": namespace,
            "metricName": metric_name,
            "dimensionKey": key,
            "dimensionFilters": filters or {},
        },
    )


def dashboard(
    uid: str, title: str, layout: Layout, variables: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["serverless-auth"],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "templating": {"list": variables},
        "annotations": {"list": []},
        "links": [],
        "panels": layout.panels,
    }
