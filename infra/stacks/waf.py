"""The WAFv2 web ACL on the API stage.

Rules, in order:
0. `RequireOriginToken` blocks any request without CloudFront's origin token: the stage
   is reachable only through the distribution, so headers CloudFront sets can be trusted.
1. `AuthRateLimit` blocks a client that sends more than `auth_rate_limit` requests in
   5 minutes to `/api/v1/auth/*`. The client is the viewer address that a CloudFront
   Function writes into `X-Viewer-Ip` (overwriting whatever the client sent): behind
   CloudFront the request's source address is CloudFront's, and the first address of
   `X-Forwarded-For` is whatever the client put there.
2. AWS managed IP reputation list. It inspects the source address, which for traffic
   through CloudFront is CloudFront's: it guards the stage, not the viewer (a
   CLOUDFRONT-scope web ACL in us-east-1 would; see README).
3. AWS managed Common rule set, with two rules counted instead of blocked:
   - `SizeRestrictions_BODY` blocks bodies over 8 KB; the API contract accepts up to
     64 KiB and answers 413 itself beyond that, so blocking earlier would break it.
   - `NoUserAgent_HEADER` blocks requests without a User-Agent; API clients (scripts,
     mobile SDKs, health checkers) often send none, and every route authenticates or
     throttles on its own. Both still show up in the metrics and sampled requests.
4. AWS managed Known bad inputs (Log4Shell, Java deserialization, ...).
5. AWS managed SQL injection (the store is MongoDB, but cheap defence in depth).

Every rule has CloudWatch metrics and sampled requests; full logs go to a log group
with the Authorization, Cookie and origin-token headers redacted.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.data import DataProtection

ORIGIN_TOKEN_HEADER = "x-origin-token"
VIEWER_IP_HEADER = "X-Viewer-Ip"
AUTH_PATH = "/api/v1/auth/"
RATE_WINDOW_SECONDS = 300
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY", "NoUserAgent_HEADER")
MANAGED_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)

Rule = wafv2.CfnWebACL.RuleProperty


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _path_starts_with(prefix: str) -> dict[str, Any]:
    return {
        "byteMatchStatement": {
            "fieldToMatch": {"uriPath": {}},
            "positionalConstraint": "STARTS_WITH",
            "searchString": prefix,
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    }


class WebAcl(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: DataProtection,
        stage: apigw.Stage,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"serverless-auth-{config.stage}"
        token = data.origin_token.secret_value.unsafe_unwrap()  # a dynamic reference
        rules = [
            Rule(
                name="RequireOriginToken",
                priority=0,
                action={"block": {}},
                visibility_config=_visibility("RequireOriginToken"),
                statement={
                    "notStatement": {
                        "statement": {
                            "byteMatchStatement": {
                                # SingleHeader is untyped in the L1 model: CloudFormation casing.
                                "fieldToMatch": {"singleHeader": {"Name": ORIGIN_TOKEN_HEADER}},
                                "positionalConstraint": "EXACTLY",
                                "searchString": token,
                                "textTransformations": [{"priority": 0, "type": "NONE"}],
                            }
                        }
                    }
                },
            ),
            Rule(
                name="AuthRateLimit",
                priority=1,
                action={"block": {}},
                visibility_config=_visibility("AuthRateLimit"),
                statement={
                    "rateBasedStatement": {
                        "limit": config.auth_rate_limit,
                        "evaluationWindowSec": RATE_WINDOW_SECONDS,
                        "aggregateKeyType": "FORWARDED_IP",
                        "forwardedIpConfig": {
                            "headerName": VIEWER_IP_HEADER,
                            "fallbackBehavior": "MATCH",
                        },
                        # The stage name is part of the path WAF sees on a REST API stage.
                        "scopeDownStatement": {
                            "orStatement": {
                                "statements": [
                                    _path_starts_with(AUTH_PATH),
                                    _path_starts_with(f"/{config.stage}{AUTH_PATH}"),
                                ]
                            }
                        },
                    }
                },
            ),
        ]
        for priority, group in enumerate(MANAGED_GROUPS, start=2):
            overrides = None
            if group == "AWSManagedRulesCommonRuleSet":
                overrides = [
                    {"name": rule, "actionToUse": {"count": {}}} for rule in COUNTED_COMMON_RULES
                ]
            rules.append(
                Rule(
                    name=group,
                    priority=priority,
                    override_action={"none": {}},
                    visibility_config=_visibility(group),
                    statement={
                        "managedRuleGroupStatement": {
                            "vendorName": "AWS",
                            "name": group,
                            "ruleActionOverrides": overrides,
                        }
                    },
                )
            )

        self.acl = wafv2.CfnWebACL(
            self,
            "Acl",
            name=name,
            description=f"serverless-auth {config.stage} API stage",
            scope="REGIONAL",
            default_action={"allow": {}},
            visibility_config=_visibility(name),
            rules=rules,
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.acl.attr_arn
        )

        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"aws-waf-logs-{name}",  # WAF requires the prefix
            retention=config.log_retention,
            removal_policy=removal,
            encryption_key=data.key,
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.acl.attr_arn,
            log_destination_configs=[
                f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:"
                f"{self.log_group.log_group_name}"
            ],
            redacted_fields=[
                {"singleHeader": {"Name": header}}
                for header in ("authorization", "cookie", ORIGIN_TOKEN_HEADER)
            ],
        )
        self.metric_name = name
