"""Frontend hosting: a private S3 bucket behind CloudFront, with the API on the same origin.

CloudFront serves the Next.js static export from S3 (origin access control; the bucket
is never public) and sends `/api/*` (and the operational routes) to the REST API stage,
so browser and API share one origin: no CORS, and cookies stay first-party.

API requests carry two headers added here: the origin token (WAF drops requests without
it, so the stage cannot be called around CloudFront) and `X-Viewer-Ip`, written by a
CloudFront Function from the viewer's address (a client cannot forge it), which the
WAF rate-based rule uses.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.api import Api
from infra.stacks.compliance import skip_checkov
from infra.stacks.data import DataProtection
from infra.stacks.waf import ORIGIN_TOKEN_HEADER, VIEWER_IP_HEADER

API_PATHS = ("/api/*", "/health*", "/schema*", "/.well-known/*")

# Next.js static export bootstraps with inline <script> tags, hence 'unsafe-inline' for
# scripts; everything is loaded from this origin only. API responses keep their own
# stricter policy (override off).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests"
)

VIEWER_IP_FUNCTION = f"""function handler(event) {{
  var request = event.request;
  request.headers['{VIEWER_IP_HEADER.lower()}'] = {{ value: event.viewer.ip }};
  return request;
}}"""

# `/users/` -> `/users/index.html`, `/users` -> `/users.html` (Next.js export layout).
SITE_REWRITE_FUNCTION = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (uri.split('/').pop().indexOf('.') === -1) {
    request.uri = uri + '.html';
  }
  return request;
}"""

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
        "static files only; API requests are logged by API Gateway access logs and WAF "
        "logs with the client's address"
    ),
    "CKV_AWS_174": (
        "the default *.cloudfront.net certificate fixes the viewer TLS policy; a custom "
        "domain certificate (README) gets TLSv1.2_2021"
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
        api: Api,
    ) -> None:
        super().__init__(scope, construct_id)
        retain = config.retain_data
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

        self.headers_policy = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment=f"serverless-auth {config.stage}: security headers",
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
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=CONTENT_SECURITY_POLICY, override=False
                ),
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

        runtime = cloudfront.FunctionRuntime.JS_2_0
        viewer_ip = cloudfront.Function(
            self,
            "ViewerIp",
            code=cloudfront.FunctionCode.from_inline(VIEWER_IP_FUNCTION),
            runtime=runtime,
            comment="X-Viewer-Ip for the WAF rate-based rule",
        )
        rewrite = cloudfront.Function(
            self,
            "SiteRewrite",
            code=cloudfront.FunctionCode.from_inline(SITE_REWRITE_FUNCTION),
            runtime=runtime,
            comment="Next.js static export paths",
        )
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
            response_headers_policy=self.headers_policy,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=viewer_ip, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"serverless-auth {config.stage}",
            default_root_object="index.html",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers_policy,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors=dict.fromkeys(API_PATHS, api_behavior),
        )
        skip_checkov(self.distribution, DISTRIBUTION_SKIPS)
        # The site's origin: where the browser app is served (and the API, same origin).
        self.url = f"https://{self.distribution.distribution_domain_name}"

        self.deployment: s3deploy.BucketDeployment | None = None
        if (config.frontend_dir / "index.html").is_file():
            self.deployment = s3deploy.BucketDeployment(
                self,
                "Deploy",
                sources=[s3deploy.Source.asset(str(config.frontend_dir))],
                destination_bucket=self.bucket,
                distribution=self.distribution,
                distribution_paths=["/*"],
                memory_limit=512,
                log_group=logs.LogGroup(
                    self,
                    "DeployLogs",
                    retention=config.log_retention,
                    removal_policy=RemovalPolicy.DESTROY,
                    encryption_key=data.key,
                ),
            )
