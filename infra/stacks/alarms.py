"""CloudWatch alarms to an SNS topic (dashboards live in Grafana: observability/grafana).

Security signals, each notifying on its own (ALARM and OK): two of them at once are two
things to look at, and an OR of them would stay in ALARM after the first and hide the
second.

| alarm | metric | fires when |
|---|---|---|
| RefreshReuse | app RefreshReuseDetected (token theft) | >= 1 in one minute |
| SignInFailures | app SignIns, Outcome=invalid_credentials | > `sign_in_failures` |
| ThrottledSpike | app ThrottledRequests (answered 429) | > `throttled_requests` |
| WafAuthBlocks | WAFV2 BlockedRequests, rule AuthRateLimit | >= `waf_auth_blocks` |
| WafBlockedSpike | WAFV2 BlockedRequests, all rules | > `waf_blocked_requests` |

Health symptoms, without actions of their own: one incident (the store down, say) trips
several at once, so they notify through the composite alarm `Health` (ANY of them), one
message per incident naming the alarms that tripped it.

| alarm | metric | fires when |
|---|---|---|
| ServerErrorRate | API 5XXError average (share) | > `server_error_rate`, 2 of 3 |
| ClientErrorRate | API 4XXError / Count, Count >= minimum | > `client_error_rate`, 3 of 3 |
| LatencyP99 | API Latency p99 | > `p99_latency_ms`, 3 of 3 |
| FunctionErrors | Lambda Errors | >= `lambda_errors` |
| FunctionThrottles | Lambda Throttles | >= 1 |
| DurationNearTimeout | Lambda Duration p99 | >= `duration_ratio` of the timeout, 2 of 3 |
| ConcurrencyNearLimit | Lambda ConcurrentExecutions max | >= `concurrency_ratio` of reserved |

Periods are 5 minutes but for RefreshReuse; ConcurrencyNearLimit exists only with
reserved concurrency. Missing data is "not breaching": a quiet API is a healthy one.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.api import Api
from infra.stacks.data import DataProtection
from infra.stacks.waf import WebAcl
from observability import catalog as c

PERIOD = Duration.minutes(5)
# EMF metrics have one-minute resolution: the shortest period that has data.
IMMEDIATE = Duration.minutes(1)
Comparison = cloudwatch.ComparisonOperator


@dataclass(frozen=True)
class Spec:
    name: str
    what: str
    metric: cloudwatch.IMetric
    threshold: float
    comparison: cloudwatch.ComparisonOperator = Comparison.GREATER_THAN_THRESHOLD
    periods: int = 1
    datapoints: int = 1


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: DataProtection,
        api: Api,
        waf: WebAcl,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"serverless-auth {config.stage} alarms",
            master_key=data.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = actions.SnsAction(self.topic)

        self.security = {spec.name: self._alarm(spec) for spec in security(config, api, waf)}
        self.health = {spec.name: self._alarm(spec) for spec in health(config, api)}
        for alarm in self.security.values():
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        self.composite = cloudwatch.CompositeAlarm(
            self,
            "Health",
            composite_alarm_name=f"serverless-auth-{config.stage}-Health",
            alarm_description=(
                f"serverless-auth {config.stage}: the service is degraded (any of: "
                f"{', '.join(self.health)})"
            ),
            alarm_rule=cloudwatch.AlarmRule.any_of(*self.health.values()),
        )
        self.composite.add_alarm_action(action)
        self.composite.add_ok_action(action)
        self.alarms = {**self.security, **self.health}

    def _alarm(self, spec: Spec) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            spec.name,
            alarm_name=f"serverless-auth-{self.config.stage}-{spec.name}",
            alarm_description=f"serverless-auth {self.config.stage}: {spec.what}",
            metric=spec.metric,
            threshold=spec.threshold,
            evaluation_periods=spec.periods,
            datapoints_to_alarm=spec.datapoints,
            comparison_operator=spec.comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )


def _app_metric(
    api: Api, metric: c.Metric, period: Duration, **dimensions: str
) -> cloudwatch.Metric:
    """A metric the app emits (observability/catalog.py): EMF lines whose Service is
    the function's name (the app's SERVICE_NAME default on Lambda)."""
    return cloudwatch.Metric(
        namespace=c.DEFAULT_NAMESPACE,
        metric_name=metric.name,
        dimensions_map={c.SERVICE: api.function.function_name, **dimensions},
        statistic="Sum",
        period=period,
    )


def _waf_blocked(waf: WebAcl, rule: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/WAFV2",
        metric_name="BlockedRequests",
        dimensions_map={"WebACL": waf.metric_name, "Region": Aws.REGION, "Rule": rule},
        statistic="Sum",
        period=PERIOD,
    )


def security(config: StageConfig, api: Api, waf: WebAcl) -> list[Spec]:
    at_least = Comparison.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    return [
        Spec(
            "RefreshReuse",
            "a spent refresh token was presented again (token theft): its family is revoked",
            _app_metric(api, c.REFRESH_REUSE, IMMEDIATE),
            1,
            at_least,
        ),
        Spec(
            "SignInFailures",
            "sign-ins refused for wrong credentials (guessing, credential stuffing)",
            _app_metric(
                api,
                c.SIGN_INS,
                PERIOD,
                **{c.OUTCOME: c.outcome_label("InvalidCredentialsError")},
            ),
            config.sign_in_failures,
        ),
        Spec(
            "ThrottledSpike",
            "requests the app answered 429 (its own per-account and per-IP throttles)",
            _app_metric(api, c.THROTTLED, PERIOD),
            config.throttled_requests,
        ),
        Spec(
            "WafAuthBlocks",
            "requests blocked by the web ACL's per-viewer rate limit on /api/v1/auth/*",
            _waf_blocked(waf, "AuthRateLimit"),
            config.waf_auth_blocks,
            at_least,
        ),
        Spec(
            "WafBlockedSpike",
            "requests blocked by the web ACL (all rules)",
            _waf_blocked(waf, "ALL"),
            config.waf_blocked_requests,
        ),
    ]


def health(config: StageConfig, api: Api) -> list[Spec]:
    stage, function = api.stage, api.function
    at_least = Comparison.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    specs = [
        Spec(
            "ServerErrorRate",
            "share of API requests answered 5xx",
            stage.metric_server_error(statistic="Average", period=PERIOD),
            config.server_error_rate,
            periods=3,
            datapoints=2,
        ),
        Spec(
            "ClientErrorRate",
            f"share of API requests answered 4xx (periods with at least "
            f"{config.client_error_min_requests} requests)",
            cloudwatch.MathExpression(
                expression=f"IF(requests >= {config.client_error_min_requests}, "
                f"errors / requests, 0)",
                using_metrics={
                    "errors": stage.metric_client_error(statistic="Sum", period=PERIOD),
                    "requests": stage.metric_count(statistic="Sum", period=PERIOD),
                },
                label="4xx share",
                period=PERIOD,
            ),
            config.client_error_rate,
            periods=3,
            datapoints=3,
        ),
        Spec(
            "LatencyP99",
            "API Gateway p99 latency (ms)",
            stage.metric_latency(statistic="p99", period=PERIOD),
            config.p99_latency_ms,
            periods=3,
            datapoints=3,
        ),
        Spec(
            "FunctionErrors",
            "Lambda invocations that failed (unhandled errors, timeouts)",
            function.metric_errors(statistic="Sum", period=PERIOD),
            config.lambda_errors,
            at_least,
        ),
        Spec(
            "FunctionThrottles",
            "Lambda invocations throttled (concurrency exhausted)",
            function.metric_throttles(statistic="Sum", period=PERIOD),
            1,
            at_least,
        ),
        Spec(
            "DurationNearTimeout",
            f"Lambda p99 duration near the {config.timeout_seconds} s timeout (ms)",
            function.metric_duration(statistic="p99", period=PERIOD),
            round(config.duration_ratio * config.timeout_seconds * 1000),
            at_least,
            periods=3,
            datapoints=2,
        ),
    ]
    if config.reserved_concurrency is not None:
        specs.append(
            Spec(
                "ConcurrencyNearLimit",
                f"concurrent executions near the reserved {config.reserved_concurrency}",
                function.metric("ConcurrentExecutions", statistic="Maximum", period=PERIOD),
                round(config.concurrency_ratio * config.reserved_concurrency),
                at_least,
            )
        )
    return specs
