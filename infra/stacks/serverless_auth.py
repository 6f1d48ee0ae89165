"""The whole service in one stack per stage: data, API, WAF, frontend, alarms (and,
with context `atlas_access=nat`, the network the function reaches Atlas through)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, CfnResource, Stack, Tags
from constructs import Construct

from infra.config import DEV_PLACEHOLDER_EMAIL_FROM, StageConfig
from infra.stacks.alarms import Alarms
from infra.stacks.api import Api
from infra.stacks.compliance import skip_cfn_lint, skip_checkov
from infra.stacks.data import DataProtection
from infra.stacks.frontend import Frontend
from infra.stacks.names import Names
from infra.stacks.network import Network
from infra.stacks.waf import WebAcl

# Functions CDK adds for its own deployment chores (emptying the bucket on delete,
# copying the site into it). They run only during deployments.
CDK_HELPER_SKIPS = {
    "CKV_AWS_115": "a CDK deployment helper, invoked by CloudFormation during deploys only",
    "CKV_AWS_116": "a CDK deployment helper; CloudFormation reports its failures itself",
    "CKV_AWS_117": "a CDK deployment helper that only calls AWS APIs; no private resources",
    "CKV_AWS_173": "a CDK deployment helper whose environment holds no secrets",
    "CKV_AWS_272": "code shipped by aws-cdk-lib itself; not signed by this project",
}
CDK_HELPER_POLICY_SKIPS = {
    "CKV_AWS_111": (
        "BucketDeployment's role: cloudfront:CreateInvalidation/GetInvalidation on *, as "
        "aws-cdk-lib writes it; S3 access is scoped to the site and asset buckets"
    ),
}
# CDK writes an explicit DependsOn on a function's role next to the GetAtt of it.
REDUNDANT_DEPENDS_ON = {"W3005": "CDK emits DependsOn on the role beside its GetAtt; harmless"}


class ServerlessAuthStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bundle_zip: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"serverless-auth ({config.stage}): API, WAF, frontend, alarms",
            **kwargs,
        )
        self.config = config
        Tags.of(self).add("project", "serverless-auth")
        Tags.of(self).add("stage", config.stage)

        names = Names(config.stage)
        self.data = DataProtection(self, "Data", config=config, names=names)
        self.network = (
            Network(self, "Network", config=config, data=self.data, names=names)
            if config.atlas_access == "nat"
            else None
        )
        self.api = Api(
            self,
            "Api",
            config=config,
            data=self.data,
            names=names,
            bundle_zip=bundle_zip,
            network=self.network,
        )
        self.waf = WebAcl(
            self, "Waf", config=config, data=self.data, names=names, stage=self.api.stage
        )
        self.frontend = Frontend(
            self, "Frontend", config=config, data=self.data, names=names, api=self.api
        )
        # CloudWatch Logs may use the key for this stack's log groups, and no others.
        self.data.allow_log_groups(
            [f"{names.log_group_prefix}*", names.waf_log_group, self.api.execution_log_group_name]
        )
        # Emailed links point at the site: a custom domain from context, else the
        # distribution's https URL (a token: the function then depends on the
        # distribution, which is why the distribution's API origin avoids referring to
        # the function's stage; see Api.serve_links_from).
        self.api.serve_links_from(config.public_base_url or self.frontend.url)
        if config.email_from == DEV_PLACEHOLDER_EMAIL_FROM:
            Annotations.of(self).add_warning_v2(
                "serverless-auth:placeholder-email-from",
                f"email_from: the function sends from the placeholder "
                f"{DEV_PLACEHOLDER_EMAIL_FROM}, which SES rejects: verification and reset "
                f"emails will fail. Deploy with -c email_from=<a verified SES identity>.",
            )
        self.alarms = Alarms(
            self, "Alarms", config=config, data=self.data, api=self.api, waf=self.waf
        )
        self._skip_cdk_helpers()

        outputs = {
            "SiteUrl": self.frontend.url,
            "PublicBaseUrl": config.public_base_url or self.frontend.url,
            "ApiStageUrl": self.api.rest_api.url,
            "FunctionName": self.api.function.function_name,
            "SiteBucketName": self.frontend.bucket.bucket_name,
            "DistributionId": self.frontend.distribution.distribution_id,
            "JwtSecretArn": self.data.jwt_secret.secret_arn,
            "MongoDbUriSecretArn": self.data.mongodb_uri.secret_arn,
            "IdentifierHmacKeySecretArn": self.data.identifier_hmac_key.secret_arn,
            "DataKeyArn": self.data.data_key.key_arn,
            "OriginTokenSecretArn": self.data.origin_token.secret_arn,
            "OriginTokenPreviousSecretArn": self.data.origin_token_previous.secret_arn,
            "AlarmTopicArn": self.alarms.topic.topic_arn,
            "WebAclArn": self.waf.acl.attr_arn,
            "ApiExecutionLogGroup": self.api.execution_logs.log_group_name,
        }
        if self.network is not None:
            # The one address to put on MongoDB Atlas's IP access list.
            outputs["AtlasEgressIp"] = self.network.egress_ip.ref
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)

    def _skip_cdk_helpers(self) -> None:
        # By path: with jsii, `node.default_child` returns a new proxy object each time,
        # so an identity test never matches and our own function got the helper skips.
        ours = self.api.function.node.default_child
        if ours is None:
            raise TypeError("the function has no CloudFormation resource")
        for construct in self.node.find_all():
            if not isinstance(construct, CfnResource):
                continue
            kind = construct.cfn_resource_type
            if kind == "AWS::Lambda::Function":
                skip_cfn_lint(construct, REDUNDANT_DEPENDS_ON)
                if construct.node.path != ours.node.path:
                    skip_checkov(construct, CDK_HELPER_SKIPS)
            elif kind == "AWS::IAM::Policy" and "CDKBucketDeployment" in construct.node.path:
                skip_checkov(construct, CDK_HELPER_POLICY_SKIPS)
