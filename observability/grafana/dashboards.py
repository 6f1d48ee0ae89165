"""The dashboards, built from `observability.catalog` so they query exactly what the
service emits. Uids are stable: provisioning updates them in place."""

from __future__ import annotations

from typing import Any

from observability import catalog as c
from observability.grafana import panels as p

OVERVIEW_UID = "serverless-auth-overview"
TRACES_UID = "serverless-auth-traces"
APIGW = "AWS/ApiGateway"
LAMBDA = "AWS/Lambda"
WAF = "AWS/WAFV2"

REGION = p.query_variable("region", "Region", {"queryType": "Regions"})
FUNCTION = p.dimension_values("function", "Function", LAMBDA, "Invocations", "FunctionName")


def _api_gateway(layout: p.Layout) -> None:
    api = {"ApiName": "$api", "Stage": "$stage"}
    layout.row("API Gateway")
    layout.add(
        p.timeseries(
            "Requests and errors",
            [
                p.metric("A", APIGW, "Count", api, label="requests"),
                p.metric("B", APIGW, "4XXError", api, label="4XX"),
                p.metric("C", APIGW, "5XXError", api, label="5XX"),
            ],
        ),
        12,
    )
    layout.add(
        p.timeseries(
            "Latency (p95): total and integration",
            [
                p.metric("A", APIGW, "Latency", api, "p95", label="latency"),
                p.metric("B", APIGW, "IntegrationLatency", api, "p95", label="integration"),
            ],
            "ms",
        ),
        12,
    )


def _lambda(layout: p.Layout) -> None:
    fn = {"FunctionName": "$function"}
    layout.row("Lambda")
    layout.add(
        p.timeseries(
            "Invocations, errors, throttles",
            [
                p.metric("A", LAMBDA, "Invocations", fn, label="invocations"),
                p.metric("B", LAMBDA, "Errors", fn, label="errors"),
                p.metric("C", LAMBDA, "Throttles", fn, label="throttles"),
            ],
        )
    )
    layout.add(
        p.timeseries(
            "Duration p50 / p95 / p99",
            [
                p.metric(r, LAMBDA, "Duration", fn, s, label=s)
                for r, s in zip("ABC", ("p50", "p95", "p99"), strict=True)
            ],
            "ms",
        )
    )
    layout.add(
        p.timeseries(
            "Concurrent executions",
            [p.metric("A", LAMBDA, "ConcurrentExecutions", fn, "Maximum")],
        )
    )


def _security(layout: p.Layout, namespace: str) -> None:
    """What the security alarms watch (infra/stacks/alarms.py), side by side."""
    svc = {c.SERVICE: "$function"}
    failures = {**svc, c.OUTCOME: c.outcome_label("InvalidCredentialsError")}
    layout.row("Security signals (alarmed)")
    layout.add(
        p.timeseries(
            "Refresh-token reuse detected (alarm at 1)",
            [p.metric("A", namespace, c.REFRESH_REUSE.name, svc)],
            threshold=1,
        ),
        6,
    )
    layout.add(
        p.timeseries(
            "Sign-ins refused: invalid credentials",
            [p.metric("A", namespace, c.SIGN_INS.name, failures)],
        ),
        6,
    )
    layout.add(
        p.timeseries("Throttled requests (429)", [p.metric("A", namespace, c.THROTTLED.name, svc)]),
        6,
    )
    layout.add(
        p.timeseries(
            "WAF blocks: AuthRateLimit (per-viewer limit on /api/v1/auth/*)",
            [
                p.metric(
                    "A",
                    WAF,
                    "BlockedRequests",
                    {"WebACL": "$webacl", "Region": "$region", "Rule": "AuthRateLimit"},
                )
            ],
            threshold=1,
        ),
        6,
    )


def _waf(layout: p.Layout) -> None:
    by_rule = {"WebACL": "$webacl", "Region": "$region", "Rule": "*"}
    layout.row("WAF")
    for name in ("AllowedRequests", "BlockedRequests"):
        layout.add(
            p.timeseries(f"{name} by rule", [p.metric("A", WAF, name, by_rule, match_exact=False)]),
            12,
        )


def _application(layout: p.Layout, namespace: str) -> None:
    svc = {c.SERVICE: "$function"}
    every = {**svc, c.ROUTE: "*", c.STATUS_CLASS: "*"}
    by_outcome = {**svc, c.OUTCOME: "*"}

    def one(metric: c.Metric, dims: dict[str, str], stat: str = "Sum") -> dict[str, Any]:
        return p.metric("A", namespace, metric.name, dims, stat, match_exact=dims == svc)

    layout.row("Application (EMF)")
    layout.add(p.timeseries("Requests by route and status class", [one(c.REQUESTS, every)]), 12)
    layout.add(
        p.timeseries(
            "Request latency p50 / p95 / p99",
            [
                p.metric(r, namespace, c.LATENCY.name, svc, s, label=s)
                for r, s in zip("ABC", ("p50", "p95", "p99"), strict=True)
            ],
            "ms",
        ),
        12,
    )
    layout.add(p.timeseries("Sign-ups", [one(c.SIGN_UPS, svc)]), 6)
    layout.add(p.timeseries("Sign-ins by outcome", [one(c.SIGN_INS, by_outcome)]), 6)
    layout.add(p.timeseries("Refreshes by outcome", [one(c.REFRESHES, by_outcome)]), 6)
    layout.add(p.timeseries("Password hasher saturated (503)", [one(c.HASHER_SATURATED, svc)]), 6)


def _logs(layout: p.Layout) -> None:
    layout.row("Logs Insights")
    layout.add(p.panel("table", c.ERRORS_QUERY.title, [p.logs("A", c.ERRORS_QUERY.query)]), 24, 9)
    layout.add(
        p.timeseries(c.COLD_STARTS_QUERY.title, [p.logs("A", c.COLD_STARTS_QUERY.query)]), 12
    )
    layout.add(
        p.panel("table", c.SLOW_ROUTES_QUERY.title, [p.logs("A", c.SLOW_ROUTES_QUERY.query)]), 12
    )


def overview(namespace: str = c.DEFAULT_NAMESPACE) -> dict[str, Any]:
    layout = p.Layout()
    _security(layout, namespace)
    _api_gateway(layout)
    _lambda(layout)
    _waf(layout)
    _application(layout, namespace)
    _logs(layout)
    variables = [
        REGION,
        p.dimension_values("api", "API", APIGW, "Count", "ApiName"),
        p.dimension_values("stage", "Stage", APIGW, "Count", "Stage", {"ApiName": "$api"}),
        FUNCTION,
        p.dimension_values("webacl", "Web ACL", WAF, "AllowedRequests", "WebACL"),
    ]
    return p.dashboard(OVERVIEW_UID, "Serverless Auth: overview", layout, variables)


def traces() -> dict[str, Any]:
    service = 'service("$function")'
    layout = p.Layout()
    layout.add(p.panel("nodeGraph", "Service map", [p.xray("A", "getServiceMap", service)]), 24, 10)
    layout.add(
        p.timeseries(
            "Average response time",
            [
                p.xray(
                    "A",
                    "getTimeSeriesServiceStatistics",
                    service,
                    columns=["Computed.AverageResponseTime"],
                )
            ],
            "s",
        ),
        12,
        8,
    )
    layout.add(
        p.timeseries(
            "Traces: ok, errors, faults, throttles",
            [
                p.xray(
                    "A",
                    "getTimeSeriesServiceStatistics",
                    service,
                    columns=[
                        "OkCount",
                        "ErrorStatistics.TotalCount",
                        "FaultStatistics.TotalCount",
                        "ErrorStatistics.ThrottleCount",
                    ],
                )
            ],
        ),
        12,
        8,
    )
    layout.add(p.panel("table", "Traces", [p.xray("A", "getTraceSummaries", service)]), 24, 10)
    return p.dashboard(TRACES_UID, "Serverless Auth: traces", layout, [REGION, FUNCTION])


def dashboards(namespace: str = c.DEFAULT_NAMESPACE) -> list[dict[str, Any]]:
    return [overview(namespace), traces()]
