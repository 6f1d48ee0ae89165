"""The alarms: security signals from the app's own metrics (observability/catalog.py) and
WAF, health symptoms behind one composite, an address to reach in prod; and the Grafana
overview shows every metric an alarm watches."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, stage_config
from observability import catalog as c
from observability.grafana.dashboards import overview
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.integration

SECURITY = {"RefreshReuse", "SignInFailures", "ThrottledSpike", "WafAuthBlocks", "WafBlockedSpike"}
HEALTH = {
    "ServerErrorRate",
    "ClientErrorRate",
    "LatencyP99",
    "FunctionErrors",
    "FunctionThrottles",
    "DurationNearTimeout",
}


def _alarms(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"].rsplit("-", 1)[1]: a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
    }


def _function_id(synth: Synthesized) -> str:
    return next(
        k
        for k, v in synth.resources("AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "entrypoints.lambda_handler.handler"
    )


def test_each_stage_has_the_security_and_health_alarms(dev: Synthesized, prod: Synthesized) -> None:
    assert set(_alarms(dev)) == SECURITY | HEALTH
    # Only where concurrency is reserved is there a limit to come near.
    assert set(_alarms(prod)) == SECURITY | HEALTH | {"ConcurrencyNearLimit"}


def test_refresh_token_reuse_pages_at_the_first_occurrence(dev: Synthesized) -> None:
    alarm = _alarms(dev)["RefreshReuse"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (c.DEFAULT_NAMESPACE, c.REFRESH_REUSE.name)
    assert alarm["Statistic"] == "Sum"
    assert alarm["Period"] == 60
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    # The app's EMF dimension: Service is the function's name on Lambda.
    assert alarm["Dimensions"] == [{"Name": c.SERVICE, "Value": {"Ref": _function_id(dev)}}]


def test_sign_in_failures_and_429s_are_watched_with_the_apps_dimensions(dev: Synthesized) -> None:
    alarms = _alarms(dev)
    failures = alarms["SignInFailures"]
    assert failures["MetricName"] == c.SIGN_INS.name
    dims = {d["Name"]: d["Value"] for d in failures["Dimensions"]}
    assert dims == {c.SERVICE: {"Ref": _function_id(dev)}, c.OUTCOME: "invalid_credentials"}
    assert c.OUTCOME_LABELS["InvalidCredentialsError"] == "invalid_credentials"
    # The dimension set the app emits this metric with.
    assert set(dims) in [set(d) for d in c.SIGN_INS.dimension_sets]
    throttled = alarms["ThrottledSpike"]
    assert throttled["MetricName"] == c.THROTTLED.name
    names = {d["Name"] for d in throttled["Dimensions"]}
    assert names in [set(d) for d in c.THROTTLED.dimension_sets]
    for alarm in (failures, throttled):
        assert (alarm["Statistic"], alarm["Period"]) == ("Sum", 300)
        assert alarm["Threshold"] == 50


def test_waf_auth_rule_blocks_alarm_from_the_first(dev: Synthesized) -> None:
    alarm = _alarms(dev)["WafAuthBlocks"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/WAFV2", "BlockedRequests")
    dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dims["Rule"] == "AuthRateLimit"
    assert dims["WebACL"] == "serverless-auth-dev"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1


def test_4xx_duration_and_concurrency_alarms(prod: Synthesized) -> None:
    alarms = _alarms(prod)
    client = alarms["ClientErrorRate"]
    [expression] = [m for m in client["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "IF(requests >= 50, errors / requests, 0)"
    stats = {
        m["Id"]: m["MetricStat"]["Metric"]["MetricName"]
        for m in client["Metrics"]
        if "MetricStat" in m
    }
    assert stats == {"errors": "4XXError", "requests": "Count"}
    assert client["Threshold"] == 0.25
    duration = alarms["DurationNearTimeout"]
    assert (duration["MetricName"], duration["ExtendedStatistic"]) == ("Duration", "p99")
    assert duration["Threshold"] == 8000  # 80 % of the 10 s timeout
    concurrency = alarms["ConcurrencyNearLimit"]
    assert (concurrency["MetricName"], concurrency["Statistic"]) == (
        "ConcurrentExecutions",
        "Maximum",
    )
    assert concurrency["Threshold"] == 80  # 80 % of the reserved 100


def test_security_alarms_notify_alone_and_health_through_one_composite(
    prod: Synthesized,
) -> None:
    topic_id, _ = prod.one("AWS::SNS::Topic")
    alarms = {
        props["AlarmName"].rsplit("-", 1)[1]: (logical_id, props)
        for logical_id, props in (
            (k, v["Properties"]) for k, v in prod.resources("AWS::CloudWatch::Alarm").items()
        )
    }
    for name, (_, props) in alarms.items():
        assert props["TreatMissingData"] == "notBreaching"
        if name in SECURITY:
            assert props["AlarmActions"] == [{"Ref": topic_id}], name
            assert props["OKActions"] == [{"Ref": topic_id}], name
        else:
            assert "AlarmActions" not in props, name
    _, composite = prod.one("AWS::CloudWatch::CompositeAlarm")
    props = composite["Properties"]
    assert props["AlarmName"] == "serverless-auth-prod-Health"
    assert props["AlarmActions"] == [{"Ref": topic_id}]
    assert props["OKActions"] == [{"Ref": topic_id}]
    rule = str(props["AlarmRule"])
    for name, (logical_id, _) in alarms.items():
        assert (logical_id in rule) == (name not in SECURITY), name


def test_prod_requires_an_alarm_address_and_subscribes_it(prod: Synthesized) -> None:
    base = {"stage": "prod", "email_from": "no-reply@example.org"}
    for missing in ({}, {"alarm_email": ""}, {"alarm_email": "  "}):
        with pytest.raises(
            ConfigError, match=r"alarm_email: required for stage prod.*-c alarm_email="
        ):
            stage_config({**base, **missing})
    with pytest.raises(ConfigError, match="alarm_email: expected"):
        stage_config({**base, "alarm_email": "ops"})
    assert stage_config({"stage": "dev"}).alarm_email is None
    prod.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_the_prod_app_fails_at_synth_without_an_alarm_address(
    lambda_bundle: Any, tmp_path: Any
) -> None:
    from infra.app import build_app

    with pytest.raises(ConfigError, match="alarm_email"):
        build_app(
            {"stage": "prod", "email_from": "no-reply@example.org"},
            bundle_zip=lambda_bundle.zip_path,
            outdir=tmp_path,
        )


def test_the_grafana_overview_shows_every_metric_an_alarm_watches(prod: Synthesized) -> None:
    shown = {
        (t["namespace"], t["metricName"])
        for panel in overview()["panels"]
        for t in panel.get("targets", [])
        if t.get("queryMode") == "Metrics"
    }
    watched = set()
    for props in _alarms(prod).values():
        if "MetricName" in props:
            watched.add((props["Namespace"], props["MetricName"]))
        for metric in props.get("Metrics", []):
            if "MetricStat" in metric:
                inner = metric["MetricStat"]["Metric"]
                watched.add((inner["Namespace"], inner["MetricName"]))
    assert watched
    assert watched <= shown, watched - shown
    # The WAF rule the auth alarm watches has a panel of its own.
    titles = [p["title"] for p in overview()["panels"]]
    assert any("AuthRateLimit" in title for title in titles)
