"""The function (the whole app behind Mangum) and the REST API in front of it.

A REST API rather than an HTTP API because WAF attaches to REST API stages only. One
`{proxy+}` route sends everything to the function; Litestar does the routing.

Access and execution logs go to log groups of this stack (retention, KMS). API Gateway
writes both with the account's API Gateway CloudWatch role, a per-region account
setting shared by every REST API: the stack does not create or overwrite it (a stack
that did would take it over, and deleting that stack would break every other API's
logging). Setting it once per account and region is part of the first deploy
(infra/README.md; `python -m infra.preflight` checks it).
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.compliance import skip_checkov
from infra.stacks.data import DataProtection
from infra.stacks.names import Names
from infra.stacks.network import Network

HANDLER = "entrypoints.lambda_handler.handler"
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"

# One JSON object per request; never a body or an Authorization header.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "xrayTraceId": "$context.xrayTraceId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "resourcePath": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "wafResponseCode": "$context.wafResponseCode",
    "errorMessage": "$context.error.message",
}

LAMBDA_SKIPS = {
    "CKV_AWS_116": (
        "API Gateway invokes the function synchronously; a dead-letter queue only "
        "receives failed asynchronous invocations"
    ),
    "CKV_AWS_272": (
        "the bundle is built and deployed by the same pipeline from the locked "
        "dependencies; AWS Signer would add a signing profile without a second party"
    ),
}
NO_VPC = (
    "context atlas_access=public: the function reaches MongoDB Atlas over TLS with SCRAM "
    "credentials; atlas_access=nat puts it in a VPC with one NAT address (README)"
)
UNRESERVED = (
    "reserved concurrency is off for this stage (context reserved_concurrency): new "
    "accounts have a quota of 10 and AWS keeps 10 unreserved"
)
API_SKIPS = {
    "CKV_AWS_59": (
        "the app authenticates every protected route itself (JWT bearer tokens); sign-up, "
        "sign-in and health must stay public"
    ),
    "CKV2_AWS_53": (
        "the app validates every request body (msgspec, unknown fields rejected) and "
        "returns RFC 9457 problems; a gateway model would duplicate and drift from it"
    ),
}
STAGE_SKIPS = {
    "CKV_AWS_120": (
        "auth and user responses are per-caller and Cache-Control: no-store; a stage "
        "cache would serve one user's data to another"
    ),
    "CKV2_AWS_51": (
        "the stage is reached only through CloudFront (WAF requires the origin token); "
        "client certificates would not add an authenticated party"
    ),
}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: DataProtection,
        names: Names,
        bundle_zip: Path,
        network: Network | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage_name = config.stage
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        self.log_group = logs.LogGroup(
            self,
            "FunctionLogs",
            log_group_name=names.log_group("function"),
            retention=config.log_retention,
            removal_policy=removal,
            encryption_key=data.key,
        )
        # No managed policies (outside a VPC, see below): writing to its own log group,
        # reading its three secrets, using the data key, sending traces and sending email
        # from its one sender is all it may do.
        self.role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"serverless-auth {config.stage} function: logs, secrets, traces, email",
        )
        self.log_group.grant_write(self.role)
        data.grant_read_secrets(
            self.role, [data.jwt_secret, data.mongodb_uri, data.identifier_hmac_key]
        )
        data.grant_data_key(self.role)
        self.role.add_to_policy(ses_send_statement(config))
        if network is not None:
            # The network interfaces Lambda manages for a VPC function (ec2:*NetworkInterface*,
            # DescribeSubnets): the AWS managed policy Lambda's own docs name for it.
            self.role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name(VPC_ACCESS_POLICY)
            )

        self.function = lambda_.Function(
            self,
            "Function",
            description=f"serverless-auth API ({config.stage})",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(bundle_zip)),
            memory_size=config.memory_mb,
            timeout=Duration.seconds(config.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            reserved_concurrent_executions=config.reserved_concurrency,
            environment_encryption=data.key,
            vpc=network.vpc if network else None,
            vpc_subnets=network.subnets if network else None,
            security_groups=[network.security_group] if network else None,
            environment={
                "APP_ENV": config.stage,
                "APP_STORAGE": "mongo",
                "LOG_LEVEL": config.log_level,
                # X-Ray subsegments from the app (the runtime provides botocore for the
                # SDK); metrics are EMF lines in the function's logs (no IAM needed).
                "TRACER": "xray",
                "METRICS": "emf",
                # Behind CloudFront the peer address is CloudFront's; its Function sets the
                # viewer's, and WAF only admits requests carrying the origin token.
                "CLIENT_IP_HEADER": "x-viewer-ip",
                "JWT_ISSUER": config.jwt_issuer,
                "JWT_AUDIENCE": config.jwt_audience,
                "JWT_SECRET_ARN": data.jwt_secret.secret_arn,
                "MONGODB_URI_SECRET_ARN": data.mongodb_uri.secret_arn,
                "IDENTIFIER_HMAC_KEY_SECRET_ARN": data.identifier_hmac_key.secret_arn,
                # Wraps the data keys of secrets stored at rest (TOTP seeds).
                "KMS_KEY_ID": data.data_key.key_arn,
                **email_environment(config),
            },
        )
        skips = dict(LAMBDA_SKIPS)
        if network is None:
            skips["CKV_AWS_117"] = NO_VPC
        if config.reserved_concurrency is None:
            skips["CKV_AWS_115"] = UNRESERVED
        skip_checkov(self.function, skips)

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=names.log_group("api-access"),
            retention=config.log_retention,
            removal_policy=removal,
            encryption_key=data.key,
        )
        self.rest_api = apigw.LambdaRestApi(
            self,
            "RestApi",
            handler=self.function,
            proxy=True,
            rest_api_name=f"serverless-auth-{config.stage}",
            description=f"serverless-auth API ({config.stage})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account's API Gateway CloudWatch role is set once, outside the stack.
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                # Execution logs of errors only, and never request data: bodies hold
                # passwords and tokens (SECURITY.md, logs).
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=config.throttle_rate_limit,
                throttling_burst_limit=config.throttle_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT)),
            ),
        )
        for method in self.rest_api.methods:
            skip_checkov(method, API_SKIPS)
        skip_checkov(self.rest_api.deployment_stage, STAGE_SKIPS)
        self.stage = self.rest_api.deployment_stage
        # Created before the stage, with retention and the key: otherwise API Gateway
        # creates it on the first error, unencrypted and kept forever.
        self.execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=self.execution_log_group_name,
            retention=config.log_retention,
            removal_policy=removal,
            encryption_key=data.key,
        )
        self.stage.node.add_dependency(self.execution_logs)

    @property
    def execution_log_group_name(self) -> str:
        return Names.execution_log_group(self.rest_api.rest_api_id, self.stage_name)

    def serve_links_from(self, base_url: str) -> None:
        """PUBLIC_BASE_URL, the base of emailed links: the site's https origin.

        Set after the frontend exists, because by default it is the distribution's own
        domain (a token). That makes the function depend on the distribution, so the
        distribution must not depend on the function: its API origin is built from the
        REST API id and the stage name (`origin_domain_name`, `origin_path`), which exist
        before the function, not from `rest_api.url`, whose stage reference would lead
        back through the deployment and the methods to the function (a cycle).
        """
        self.function.add_environment("PUBLIC_BASE_URL", base_url)

    @property
    def origin_domain_name(self) -> str:
        """`<rest-api-id>.execute-api.<region>.<suffix>`, without a reference to the stage."""
        return f"{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"

    @property
    def origin_path(self) -> str:
        return f"/{self.stage_name}"


def email_environment(config: StageConfig) -> dict[str, str]:
    """The app's email and account lifecycle settings (entrypoints/settings.py).

    Outside APP_ENV local/test the app refuses to start without EMAIL_BACKEND=ses and
    EMAIL_FROM. SES is called in the function's own region (the client's default).
    """
    environment = {
        "EMAIL_BACKEND": "ses",
        "EMAIL_FROM": config.email_from,
        "REQUIRE_VERIFIED_EMAIL": "true" if config.require_verified_email else "false",
        "AUDIT_RETENTION_DAYS": str(config.audit_retention_days),
    }
    if config.ses_configuration_set:
        environment["SES_CONFIGURATION_SET"] = config.ses_configuration_set
    return environment


def ses_send_statement(config: StageConfig) -> iam.PolicyStatement:
    """`ses:SendEmail` (the one action SES v2 SendEmail needs, simple content included)
    on the sender's identities only: the address and its domain, since either may be
    the verified one, and the configuration set when one is named (SES authorizes the
    call against it too). With a verified domain any address of it could send, so the
    From address itself is pinned too (`ses:FromAddress`, the bare address)."""
    arn = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    resources = [f"{arn}:identity/{identity}" for identity in config.sender_identities]
    if config.ses_configuration_set:
        resources.append(f"{arn}:configuration-set/{config.ses_configuration_set}")
    return iam.PolicyStatement(
        actions=["ses:SendEmail"],
        resources=resources,
        conditions={"StringEquals": {"ses:FromAddress": config.sender_address}},
    )
