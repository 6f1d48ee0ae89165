"""Frontend hosting: a private S3 bucket behind CloudFront, with the API on the same origin.

CloudFront serves the Next.js static export from S3 (origin access control; the bucket
is never public) and sends `/api/*` (and the operational routes) to the REST API stage,
so browser and API share one origin: no CORS, and cookies stay first-party.

Site requests go through two CloudFront Functions built from infra/cloudfront/site.js
with the export's file list (infra/site.py): page paths map to their `index.html`, a
page path without its trailing slash is redirected to it (308, query kept), and an
unknown path gets the site's 404 page with status 404. The API docs' own files,
`/schema/assets/*`, are files of the export too and are served the same way.

API requests carry two headers added here: the origin token (WAF drops requests without
it, so the stage cannot be called around CloudFront) and `X-Viewer-Ip`, written by a
CloudFront Function from the viewer's address (a client cannot forge it), which the
WAF rate-based rule uses.

Headers: site responses get the site's Content-Security-Policy, built at synth from the
export's inline scripts (no 'unsafe-inline'; infra/site.py). API responses keep the
policy the app sends (`/schema` sends its own); only a response without one (an API
Gateway or WAF error) gets the app's strict API policy.

Caching: files under `_next/static/` are content-hashed and uploaded with
`Cache-Control: public, max-age=31536000, immutable`, by a deployment that never
deletes (open tabs keep loading the chunks of the build they started with); everything
else is `no-cache` (revalidated on each use) and the cache is invalidated on deploy.
"""

from __future__ import annotations

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from entrypoints.http.middleware import API_HEADERS
from entrypoints.http.static import IMMUTABLE, REVALIDATE
from infra.config import StageConfig
from infra.site import VIEWER_IP_FUNCTION, SiteExport
from infra.stacks.api import Api
from infra.stacks.compliance import skip_checkov
from infra.stacks.data import DataProtection
from infra.stacks.names import Names
from infra.stacks.waf import ORIGIN_TOKEN_HEADER

# The docs page's own files, from the export; ordered before the API's `/schema*`.
SCHEMA_ASSETS = "/schema/assets/*"
API_PATHS = ("/api/*", "/health*", "/schema*", "/.well-known/*")
IMMUTABLE_FILES = "_next/static/*"
# The policy the app gives API responses, for those that reach viewers without one.
API_CSP = dict(API_HEADERS)[b"content-security-policy"].decode()

BUCKET_SKIPS = {
    "CKV_AWS_18": (
        "static files only; reads are visible in CloudFront metrics and the API's "
        "requests in API Gateway access logs and WAF logs"
    ),
    "CKV_AWS_144": "the site is rebuilt from the repository by one deploy; no replica needed",
    "CKV_AWS_145": (
        "public static assets encrypted with SSE-S3; SSE-KMS behind OAC would need "
        "CloudFront in the key policy and protect nothing secret"
    ),
    "CKV2_AWS_62": "nothing reacts to uploads of the static site; no event notifications",
}
DISTRIBUTION_SKIPS = {
    "CKV_AWS_68": (
        "the API's web ACL is on the REST API stage, which only this distribution can "
        "reach; a CLOUDFRONT-scope web ACL must live in us-east-1 (README, next steps)"
    ),
    "CKV2_AWS_47": "see CKV_AWS_68: Known bad inputs (Log4j) runs in the stage's web ACL",
    "CKV_AWS_86": (
        "no CloudFront access logs: legacy logging needs an ACL-enabled S3 bucket and "
        "v2 log delivery must be set up in us-east-1. Site file requests are not logged; "
        "API requests are, in WAF logs (viewer address in X-Viewer-Ip) and API Gateway "
        "access logs (whose source address is CloudFront's)"
    ),
    "CKV_AWS_174": (
        "the distribution uses the default *.cloudfront.net certificate, with which "
        "CloudFront ignores MinimumProtocolVersion and uses the TLSv1 policy; TLSv1.2_2021 "
        "needs a custom domain with an ACM certificate, which this stack does not wire yet"
    ),
    "CKV2_AWS_42": "a custom domain and its ACM certificate are optional (README)",
    "CKV_AWS_310": "one S3 origin and one API origin per stage; no secondary to fail over to",
    "CKV_AWS_374": "the service is offered worldwide; no geo restriction",
}


class Frontend(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        data: DataProtection,
        names: Names,
        api: Api,
    ) -> None:
        super().__init__(scope, construct_id)
        retain = config.retain_data
        export = SiteExport.at(config.frontend_dir)
        self.export = export
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            auto_delete_objects=not retain,
        )
        skip_checkov(self.bucket, BUCKET_SKIPS)

        self.site_headers = self._headers_policy(
            "SecurityHeaders",
            f"serverless-auth {config.stage}: site security headers",
            # S3 sends no policy: this one is the site's.
            cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=export.content_security_policy(), override=True
            ),
        )
        self.api_headers = self._headers_policy(
            "ApiSecurityHeaders",
            f"serverless-auth {config.stage}: API security headers",
            # Never over the app's own policy (the docs at /schema send theirs).
            cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=API_CSP, override=False
            ),
        )

        runtime = cloudfront.FunctionRuntime.JS_2_0
        viewer_ip = cloudfront.Function(
            self,
            "ViewerIp",
            code=cloudfront.FunctionCode.from_inline(VIEWER_IP_FUNCTION.read_text()),
            runtime=runtime,
            comment="X-Viewer-Ip for the WAF rate-based rule",
        )
        site_functions = [
            cloudfront.FunctionAssociation(
                function=cloudfront.Function(
                    self,
                    function_id,
                    code=cloudfront.FunctionCode.from_inline(export.function_code(event)),
                    runtime=runtime,
                    comment=f"static export routing ({event})",
                ),
                event_type=event_type,
            )
            for function_id, event, event_type in (
                ("SiteRewrite", "viewer-request", cloudfront.FunctionEventType.VIEWER_REQUEST),
                ("SiteStatus", "viewer-response", cloudfront.FunctionEventType.VIEWER_RESPONSE),
            )
        ]
        token = data.origin_token.secret_value.unsafe_unwrap()  # a dynamic reference
        api_behavior = cloudfront.BehaviorOptions(
            # RestApiOrigin would take the domain from `rest_api.url`, which refers to the
            # stage: the function reads this distribution's domain (PUBLIC_BASE_URL, see
            # Api.serve_links_from), so that reference would close a dependency cycle.
            # Same origin settings: HTTPS only, TLS 1.2.
            origin=origins.HttpOrigin(
                api.origin_domain_name,
                origin_path=api.origin_path,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                custom_headers={ORIGIN_TOKEN_HEADER: token},
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=self.api_headers,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=viewer_ip, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
        )
        site_behavior = cloudfront.BehaviorOptions(
            # LIST lets S3 answer a missing object with 404 rather than 403.
            origin=origins.S3BucketOrigin.with_origin_access_control(
                self.bucket,
                origin_access_levels=[cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST],
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=self.site_headers,
            compress=True,
            function_associations=site_functions,
        )
        comment = f"serverless-auth {config.stage}"
        if config.origin_token_rotation:
            # A new label changes the distribution, so CloudFormation reads the token again.
            comment += f", origin token {config.origin_token_rotation}"
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=comment,
            default_root_object="index.html",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=site_behavior,
            # In this order: CloudFront takes the first pattern that matches.
            additional_behaviors={
                SCHEMA_ASSETS: site_behavior,
                **dict.fromkeys(API_PATHS, api_behavior),
            },
        )
        skip_checkov(self.distribution, DISTRIBUTION_SKIPS)
        Annotations.of(self.distribution).acknowledge_warning(
            "@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk",
            "the root object is set, the site function maps every path to an object, and "
            "the cache policy forwards no query string: S3 never receives a listing request",
        )
        # The site's origin: where the browser app is served (and the API, same origin).
        self.url = f"https://{self.distribution.distribution_domain_name}"

        self.deployments: list[s3deploy.BucketDeployment] = []
        if export.built:
            self._deploy(config, data, names, export)

    def _headers_policy(
        self,
        construct_id: str,
        comment: str,
        csp: cloudfront.ResponseHeadersContentSecurityPolicy,
    ) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            construct_id,
            comment=comment,
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=False,
                ),
                content_security_policy=csp,
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=False, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy",
                        value="camera=(), microphone=(), geolocation=(), payment=()",
                        override=True,
                    ),
                    cloudfront.ResponseCustomHeader(
                        header="Cross-Origin-Opener-Policy", value="same-origin", override=False
                    ),
                ]
            ),
        )

    def _deploy(
        self, config: StageConfig, data: DataProtection, names: Names, export: SiteExport
    ) -> None:
        """Two uploads of the export: the hashed build files first, never pruned, then
        everything else (pruned of pages the build no longer has), which also invalidates
        the cache. New pages thus never refer to chunks not uploaded yet, and the
        chunks of earlier builds stay for the tabs still running them."""
        if export.root is None:
            return
        log_group = logs.LogGroup(
            self,
            "DeployLogs",
            log_group_name=names.log_group("site-deploy"),
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=data.key,
        )
        source = s3deploy.Source.asset(str(export.root))
        assets = s3deploy.BucketDeployment(
            self,
            "DeployAssets",
            sources=[source],
            destination_bucket=self.bucket,
            exclude=["*"],
            include=[IMMUTABLE_FILES],
            prune=False,
            cache_control=[s3deploy.CacheControl.from_string(IMMUTABLE)],
            memory_limit=512,
            log_group=log_group,
        )
        pages = s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=[source],
            destination_bucket=self.bucket,
            # Excluded files are neither uploaded nor pruned by this deployment.
            exclude=[IMMUTABLE_FILES],
            prune=True,
            cache_control=[s3deploy.CacheControl.from_string(REVALIDATE)],
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=512,
            log_group=log_group,
        )
        pages.node.add_dependency(assets)
        self.deployments = [assets, pages]
