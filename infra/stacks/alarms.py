"""CloudWatch alarms to an SNS topic (dashboards live in Grafana).

| alarm | metric | fires when (5-minute periods) |
|---|---|---|
| ServerErrorRate | API 5XXError average (= share of requests) | > `server_error_rate`, 2 of 3 |
| LatencyP99 | API Latency p99 | > `p99_latency_ms`, 3 of 3 |
| FunctionErrors | Lambda Errors, sum | ≥ `lambda_errors` |
| FunctionThrottles | Lambda Throttles, sum | ≥ 1 |
| WafBlockedSpike | WAFV2 BlockedRequests (all rules), sum | > `waf_blocked_requests` |

Missing data is "not breaching": a quiet API is a healthy one. Alarms notify on the way
back to OK too.
"""

from __future__ import annotations

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

PERIOD = Duration.minutes(5)


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
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"serverless-auth {config.stage} alarms",
            master_key=data.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))

        stage, function = api.stage, api.function
        specs: list[tuple[str, str, cloudwatch.IMetric, float, int, int, bool]] = [
            (
                "ServerErrorRate",
                "share of API requests answered 5xx",
                stage.metric_server_error(statistic="Average", period=PERIOD),
                config.server_error_rate,
                3,
                2,
                False,
            ),
            (
                "LatencyP99",
                "API Gateway p99 latency (ms)",
                stage.metric_latency(statistic="p99", period=PERIOD),
                config.p99_latency_ms,
                3,
                3,
                False,
            ),
            (
                "FunctionErrors",
                "Lambda invocations that failed (unhandled errors, timeouts)",
                function.metric_errors(statistic="Sum", period=PERIOD),
                config.lambda_errors,
                1,
                1,
                True,
            ),
            (
                "FunctionThrottles",
                "Lambda invocations throttled (concurrency exhausted)",
                function.metric_throttles(statistic="Sum", period=PERIOD),
                1,
                1,
                1,
                True,
            ),
            (
                "WafBlockedSpike",
                "requests blocked by the web ACL",
                cloudwatch.Metric(
                    namespace="AWS/WAFV2",
                    metric_name="BlockedRequests",
                    dimensions_map={
                        "WebACL": waf.metric_name,
                        "Region": Aws.REGION,
                        "Rule": "ALL",
                    },
                    statistic="Sum",
                    period=PERIOD,
                ),
                config.waf_blocked_requests,
                1,
                1,
                False,
            ),
        ]
        action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for name, what, metric, threshold, periods, datapoints, inclusive in specs:
            comparison = (
                cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
                if inclusive
                else cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
            )
            alarm = cloudwatch.Alarm(
                self,
                name,
                alarm_name=f"serverless-auth-{config.stage}-{name}",
                alarm_description=f"serverless-auth {config.stage}: {what}",
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=datapoints,
                comparison_operator=comparison,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[name] = alarm
