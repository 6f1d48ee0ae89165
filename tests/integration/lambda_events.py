"""Lambda events as AWS sends them, for driving `entrypoints.lambda_handler.handler`.

Three shapes reach the function:

- API Gateway REST API, Lambda proxy integration (payload 1.0): `resource`, `path` without
  the stage, `headers` and `multiValueHeaders` (case as the client sent it),
  `requestContext.identity.sourceIp`, `requestContext.stage`.
- API Gateway HTTP API (payload 2.0): `version: "2.0"`, lowercased `headers`, `rawPath`
  and `requestContext.http.path`, both prefixed with the stage name on a named stage and
  not on `$default`.
- Lambda Function URL: the 2.0 shape, on `<url-id>.lambda-url.<region>.on.aws`, always on
  the `$default` stage and route.

Every builder takes the path the client asked for (stage-free), a JSON-able body or raw
bytes, and extra request headers; `encode_base64=True` sends the body as API Gateway and Function
URLs do for binary payloads (`isBase64Encoded: true`).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
REST_API_ID = "a1b2c3d4e5"
HTTP_API_ID = "f6g7h8i9j0"
FUNCTION_URL_ID = "abcdefghijklmnopqrstuvwxyz012345"
SOURCE_IP = "203.0.113.42"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) integration-test/1.0"
TRACE_ID = "Root=1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"
REQUEST_TIME = "24/Nov/2026:19:33:45 +0000"
REQUEST_TIME_EPOCH = 1795548825000

Body = Mapping[str, Any] | bytes | str | None
EventBuilder = Callable[..., dict[str, Any]]


def _body_bytes(body: Body) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _encode_body(raw: bytes | None, base64_encoded: bool) -> str | None:
    if raw is None:
        return None
    return base64.b64encode(raw).decode() if base64_encoded else raw.decode()


def _client_headers(raw: bytes | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    """Headers a JSON client sends, with the casing a typical client uses."""
    result = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if raw is not None:
        result["Content-Type"] = "application/json"
    result.update(headers or {})
    return result


def rest_v1_event(
    method: str,
    path: str,
    *,
    body: Body = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, list[str]] | None = None,
    encode_base64: bool = False,
    stage: str = "prod",
    source_ip: str = SOURCE_IP,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event on `ANY /{proxy+}` (payload format 1.0).

    `path` is stage-free as AWS sends it; `requestContext.path` carries the stage.
    """
    raw = _body_bytes(body)
    domain = f"{REST_API_ID}.execute-api.{REGION}.amazonaws.com"
    sent = {
        **_client_headers(raw, headers),
        "CloudFront-Forwarded-Proto": "https",
        "CloudFront-Is-Desktop-Viewer": "true",
        "CloudFront-Is-Mobile-Viewer": "false",
        "CloudFront-Is-SmartTV-Viewer": "false",
        "CloudFront-Is-Tablet-Viewer": "false",
        "CloudFront-Viewer-ASN": "64496",
        "CloudFront-Viewer-Country": "DE",
        "Host": domain,
        "Via": "2.0 f0e1d2c3b4a5968778695a4b3c2d1e0f.cloudfront.net (CloudFront)",
        "X-Amz-Cf-Id": "kZ8rLx0Zb3f1mQv7Vd2Jt9u1Yw6pHc4Rn5Es8Ga0Tb2Uo3Ki4Lj5Mh==",
        "X-Amzn-Trace-Id": TRACE_ID,
        "X-Forwarded-For": f"{source_ip}, 130.176.0.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if raw is not None:
        sent["Content-Length"] = str(len(raw))
    query_single = {k: v[-1] for k, v in query.items()} if query else None
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": query_single,
        "multiValueQueryStringParameters": dict(query) if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": "Qx1AbCdEFiAEMsQ=",
            "requestTime": REQUEST_TIME,
            "path": f"/{stage}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": REST_API_ID,
            "requestTimeEpoch": REQUEST_TIME_EPOCH,
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": USER_AGENT,
                "user": None,
            },
            "domainName": domain,
            "deploymentId": "dep123",
            "apiId": REST_API_ID,
        },
        "body": _encode_body(raw, encode_base64),
        "isBase64Encoded": encode_base64 and raw is not None,
    }


def _v2_event(
    method: str,
    path: str,
    *,
    body: Body,
    headers: Mapping[str, str] | None,
    query: str,
    encode_base64: bool,
    stage: str,
    route_key: str,
    api_id: str,
    domain: str,
    source_ip: str,
    extra_headers: Mapping[str, str],
    extra_context: Mapping[str, Any],
) -> dict[str, Any]:
    raw = _body_bytes(body)
    sent = {name.lower(): value for name, value in _client_headers(raw, headers).items()} | {
        "host": domain,
        "x-amzn-trace-id": TRACE_ID,
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **extra_headers,
    }
    if raw is not None:
        sent["content-length"] = str(len(raw))
    # A named stage is part of the URL the client called, and AWS keeps it in both paths.
    full_path = path if stage == "$default" else f"/{stage}{path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": full_path,
        "rawQueryString": query,
        "headers": sent,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": method,
                "path": full_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": sent.get("user-agent", USER_AGENT),
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": route_key,
            "stage": stage,
            "time": REQUEST_TIME,
            "timeEpoch": REQUEST_TIME_EPOCH,
            **extra_context,
        },
        "isBase64Encoded": encode_base64 and raw is not None,
    }
    if query:
        pairs = [part.partition("=") for part in query.split("&")]
        event["queryStringParameters"] = {k: v for k, _, v in pairs}
    if route_key != "$default":
        event["pathParameters"] = {"proxy": path.lstrip("/")}
    if raw is not None:
        event["body"] = _encode_body(raw, encode_base64)
    return event


def http_v2_event(
    method: str,
    path: str,
    *,
    body: Body = None,
    headers: Mapping[str, str] | None = None,
    query: str = "",
    encode_base64: bool = False,
    stage: str = "$default",
    source_ip: str = SOURCE_IP,
) -> dict[str, Any]:
    """An API Gateway HTTP API event (payload format 2.0) on `ANY /{proxy+}`.

    On a named stage AWS sends `rawPath` and `requestContext.http.path` as `/<stage><path>`.
    """
    domain = f"{HTTP_API_ID}.execute-api.{REGION}.amazonaws.com"
    return _v2_event(
        method,
        path,
        body=body,
        headers=headers,
        query=query,
        encode_base64=encode_base64,
        stage=stage,
        route_key="ANY /{proxy+}" if stage != "$default" else "$default",
        api_id=HTTP_API_ID,
        domain=domain,
        source_ip=source_ip,
        extra_headers={},
        extra_context={},
    )


def function_url_event(
    method: str,
    path: str,
    *,
    body: Body = None,
    headers: Mapping[str, str] | None = None,
    query: str = "",
    encode_base64: bool = False,
    source_ip: str = SOURCE_IP,
) -> dict[str, Any]:
    """A Lambda Function URL event (auth type NONE): the 2.0 shape on `*.lambda-url.*.on.aws`."""
    domain = f"{FUNCTION_URL_ID}.lambda-url.{REGION}.on.aws"
    return _v2_event(
        method,
        path,
        body=body,
        headers=headers,
        query=query,
        encode_base64=encode_base64,
        stage="$default",
        route_key="$default",
        api_id=FUNCTION_URL_ID,
        domain=domain,
        source_ip=source_ip,
        extra_headers={
            "x-amzn-tls-cipher-suite": "ECDHE-RSA-AES128-GCM-SHA256",
            "x-amzn-tls-version": "TLSv1.2",
        },
        extra_context={"authentication": None, "authorizer": None},
    )


def named_stage_event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """An HTTP API event on the named stage `prod` (`rawPath` starts with `/prod`)."""
    return http_v2_event(method, path, stage="prod", **kwargs)


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that code may read."""

    function_name: str = "serverless-auth-api"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/serverless-auth-api"
    log_stream_name: str = "2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef"
    identity: Any = None
    client_context: Any = None

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def response_headers(response: Mapping[str, Any]) -> dict[str, str]:
    """The response headers of any event shape, lowercased (v1 may split into multiValueHeaders)."""
    merged = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        merged[name.lower()] = ",".join(values)
    return merged


def response_json(response: Mapping[str, Any]) -> Any:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)


# Every event shape the function is fronted by, by test id.
EVENT_BUILDERS: dict[str, EventBuilder] = {
    "rest-v1": rest_v1_event,
    "http-v2-default-stage": http_v2_event,
    "http-v2-named-stage": named_stage_event,
    "function-url": function_url_event,
}
