"""The WAFv2 web ACL on the API stage.

Rules, in order:
0. `RequireOriginToken` blocks any request without CloudFront's origin token: the stage
   is reachable only through the distribution, so headers CloudFront sets can be trusted.
   Two tokens pass, the current one (which CloudFront sends) and the previous one, so a
   rotation (README) never has WAF expecting a token some CloudFront edges do not send
   yet.
1. `AuthRateLimit` blocks a client that sends more than `auth_rate_limit` requests in
   5 minutes to `/api/v1/auth/*`. The client is the viewer address that a CloudFront
   Function writes into `X-Viewer-Ip` (overwriting whatever the client sent): behind
   CloudFront the request's source address is CloudFront's, and the first address of
   `X-Forwarded-For` is whatever the client put there.
2. `AuthBodySizeLimit` blocks bodies over `AUTH_BODY_LIMIT` (8 KiB) on `/api/v1/auth/*`:
   the largest legitimate one (sign-in: 254-character address, 1,024-character password)
   is under 1.5 KiB. 8 KiB is within what WAF inspects of a body on a regional web ACL,
   and a body over the inspection limit counts as over the limit.
3. AWS managed IP reputation list. It inspects the source address, which for traffic
   through CloudFront is CloudFront's: it guards the stage, not the viewer (a
   CLOUDFRONT-scope web ACL in us-east-1 would; see README).
4. AWS managed Common rule set, with two rules counted instead of blocked:
   - `SizeRestrictions_BODY` blocks bodies over 8 KB; the API contract accepts up to
     64 KiB and answers 413 itself beyond that, so blocking earlier would break it
     (auth routes are capped by rule 2).
   - `NoUserAgent_HEADER` blocks requests without a User-Agent; API clients (scripts,
     mobile SDKs, health checkers) often send none, and every route authenticates or
     throttles on its own. Both still show up in the metrics and sampled requests.
5. AWS managed Known bad inputs (Log4Shell, Java deserialization, ...).
6. AWS managed SQL injection (the store is MongoDB, but cheap defence in depth).
7. `BodyRulesOutsidePasswordRoutes`: the managed rules that inspect the body for
   XSS, SQL injection, file inclusion, SSRF and Java exploits are counted in their
   groups (they only label the request) and blocked here, except on the routes whose
   body carries a password (`PASSWORD_ROUTES`). A password is any string a person
   chose: `' OR 1=1 --`, `<script>` or `../../etc` are all valid (and decent)
   passwords, and blocking them would lock their owners out of sign-in for good. The
   app never interprets a password: it is hashed with argon2id, never rendered, never
   part of a query. Every other rule of the groups still applies on those routes.

All path conditions see the path URL-decoded, normalized (`//` collapsed, `.` and `..`
segments resolved, as the app's router would treat them) and lower-cased, so
`/api//v1/auth/...` or `/api/v1/%61uth/...` count like `/api/v1/auth/...`. On a REST
API stage WAF sees the path with the stage name in front, so each also accepts that.

Capacity: the managed groups take 1,125 WCU, our rules about 180 (each path
transformation costs 10): about 1,300 of the 1,500 a web ACL holds at the base price.

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
from infra.stacks.names import Names

ORIGIN_TOKEN_HEADER = "x-origin-token"
VIEWER_IP_HEADER = "X-Viewer-Ip"
AUTH_PATH = "/api/v1/auth/"
AUTH_BODY_LIMIT = 8 * 1024
RATE_WINDOW_SECONDS = 300
# Routes whose request body holds a password (sign-in, sign-up, reset, change, admin
# create, two-factor enrol/disable, profile update with the current password), after
# the path transformations; `{stage}` is the optional stage prefix.
PASSWORD_ROUTES = (
    r"^(/{stage})?/api/v1/("
    r"auth/(sign-in|sign-up|password-reset/confirm)"
    r"|users(/[^/]+)?"
    r"|users/me/(password|two-factor|two-factor/disable)"
    r")/?$"
)
PATH_TRANSFORMATIONS = ("URL_DECODE", "NORMALIZE_PATH", "LOWERCASE")
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY", "NoUserAgent_HEADER")
MANAGED_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
# The body-inspecting rules of the managed groups, and the label each adds on a match.
BODY_RULES: dict[str, dict[str, str]] = {
    "AWSManagedRulesCommonRuleSet": {
        "CrossSiteScripting_BODY": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
        "GenericLFI_BODY": "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
        "GenericRFI_BODY": "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
        "EC2MetaDataSSRF_BODY": "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
    },
    "AWSManagedRulesKnownBadInputsRuleSet": {
        "JavaDeserializationRCE_BODY": (
            "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body"
        ),
        "Log4JRCE_BODY": "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body",
    },
    "AWSManagedRulesSQLiRuleSet": {
        "SQLi_BODY": "awswaf:managed:aws:sql-database:SQLi_Body",
        "SQLiExtendedPatterns_BODY": "awswaf:managed:aws:sql-database:SQLiExtendedPatterns_Body",
    },
}

Rule = wafv2.CfnWebACL.RuleProperty


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _path_transformations() -> list[dict[str, Any]]:
    return [{"priority": i, "type": kind} for i, kind in enumerate(PATH_TRANSFORMATIONS)]


def _path_starts_with(prefix: str) -> dict[str, Any]:
    return {
        "byteMatchStatement": {
            "fieldToMatch": {"uriPath": {}},
            "positionalConstraint": "STARTS_WITH",
            "searchString": prefix,
            "textTransformations": _path_transformations(),
        }
    }


def _auth_path(stage: str) -> dict[str, Any]:
    """The path is under /api/v1/auth/, with or without the stage prefix."""
    return {
        "orStatement": {
            "statements": [_path_starts_with(AUTH_PATH), _path_starts_with(f"/{stage}{AUTH_PATH}")]
        }
    }


def _header_is(header: str, value: str) -> dict[str, Any]:
    return {
        "byteMatchStatement": {
            # SingleHeader is untyped in the L1 model: CloudFormation casing.
            "fieldToMatch": {"singleHeader": {"Name": header}},
            "positionalConstraint": "EXACTLY",
            "searchString": value,
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    }


def password_routes(stage: str) -> str:
    return PASSWORD_ROUTES.replace("{stage}", stage)


class WebAcl(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: DataProtection,
        names: Names,
        stage: apigw.Stage,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"serverless-auth-{config.stage}"
        # Dynamic references: the tokens themselves are never in the template.
        current = data.origin_token.secret_value.unsafe_unwrap()
        previous = data.origin_token_previous.secret_value.unsafe_unwrap()
        rules = [
            Rule(
                name="RequireOriginToken",
                priority=0,
                action={"block": {}},
                visibility_config=_visibility("RequireOriginToken"),
                statement={
                    "notStatement": {
                        "statement": {
                            "orStatement": {
                                "statements": [
                                    _header_is(ORIGIN_TOKEN_HEADER, current),
                                    _header_is(ORIGIN_TOKEN_HEADER, previous),
                                ]
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
                        "scopeDownStatement": _auth_path(config.stage),
                    }
                },
            ),
            Rule(
                name="AuthBodySizeLimit",
                priority=2,
                action={"block": {}},
                visibility_config=_visibility("AuthBodySizeLimit"),
                statement={
                    "andStatement": {
                        "statements": [
                            _auth_path(config.stage),
                            {
                                "sizeConstraintStatement": {
                                    "fieldToMatch": {"body": {"oversizeHandling": "MATCH"}},
                                    "comparisonOperator": "GT",
                                    "size": AUTH_BODY_LIMIT,
                                    "textTransformations": [{"priority": 0, "type": "NONE"}],
                                }
                            },
                        ]
                    }
                },
            ),
        ]
        first_group = len(rules)
        for priority, group in enumerate(MANAGED_GROUPS, start=first_group):
            counted = list(BODY_RULES.get(group, {}))
            if group == "AWSManagedRulesCommonRuleSet":
                counted = [*COUNTED_COMMON_RULES, *counted]
            overrides = [{"name": rule, "actionToUse": {"count": {}}} for rule in counted]
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
                            "ruleActionOverrides": overrides or None,
                        }
                    },
                )
            )
        labels = [label for group in BODY_RULES.values() for label in group.values()]
        rules.append(
            Rule(
                name="BodyRulesOutsidePasswordRoutes",
                priority=first_group + len(MANAGED_GROUPS),
                action={"block": {}},
                visibility_config=_visibility("BodyRulesOutsidePasswordRoutes"),
                statement={
                    "andStatement": {
                        "statements": [
                            {
                                "orStatement": {
                                    "statements": [
                                        {"labelMatchStatement": {"scope": "LABEL", "key": key}}
                                        for key in labels
                                    ]
                                }
                            },
                            {
                                "notStatement": {
                                    "statement": {
                                        "regexMatchStatement": {
                                            "fieldToMatch": {"uriPath": {}},
                                            "regexString": password_routes(config.stage),
                                            "textTransformations": _path_transformations(),
                                        }
                                    }
                                }
                            },
                        ]
                    }
                },
            )
        )

        description = f"serverless-auth {config.stage} API stage"
        if config.origin_token_rotation:
            # A new label changes the resource, so CloudFormation reads the tokens again
            # (WAF allows no parentheses in a description).
            description += f", origin token {config.origin_token_rotation}"
        self.acl = wafv2.CfnWebACL(
            self,
            "Acl",
            name=name,
            description=description,
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
            log_group_name=names.waf_log_group,
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
