"""The synthesized stack, resource by resource (aws_cdk.assertions, offline)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.config import DEV_PLACEHOLDER_EMAIL_FROM, ConfigError, stage_config
from infra.stacks.waf import BODY_RULES, COUNTED_COMMON_RULES, MANAGED_GROUPS
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.integration


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _function(synth: Synthesized) -> dict[str, Any]:
    functions = {
        k: v
        for k, v in synth.resources("AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "entrypoints.lambda_handler.handler"
    }
    assert len(functions) == 1
    return next(iter(functions.values()))


def _ref_id(value: dict[str, Any]) -> str:
    ref = value.get("Ref")
    return str(ref) if ref else str(value["Fn::GetAtt"][0])


def _logical_id(synth: Synthesized, kind: str, prefix: str) -> str:
    ids = [k for k in synth.resources(kind) if k.startswith(prefix)]
    assert len(ids) == 1, (kind, prefix, ids)
    return ids[0]


# The first block of the stack's id, which names the retained resources (names.py).
STACK_UUID = {
    "Fn::Select": [
        0,
        {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]},
    ]
}


def _flat(value: Any) -> str:
    """A string expression with its references as `${Name}` / `${Name.Attribute}`, and the
    stack id's first block as `${StackUuid}`."""
    if isinstance(value, str):
        return value
    if value == STACK_UUID:
        return "${StackUuid}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flat(part) for part in parts)
    if "Ref" in value:
        return f"${{{value['Ref']}}}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"unexpected expression {value!r}")


def _function_statements(synth: Synthesized) -> list[dict[str, Any]]:
    role_id = _ref_id(_function(synth)["Properties"]["Role"])
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in _statements(p)
    ]


def _references(value: Any) -> set[str]:
    """Logical ids referred to by Ref, Fn::GetAtt or Fn::Sub anywhere in `value`."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                if isinstance(inner, list):
                    found |= _references(inner[1])
            else:
                found |= _references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner)
    return found


# ---- Lambda --------------------------------------------------------------------------


def test_the_function_runs_the_app_on_python_3_13_arm64_with_active_tracing(
    dev: Synthesized,
) -> None:
    dev.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "entrypoints.lambda_handler.handler",
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "TracingConfig": {"Mode": "Active"},
            "Timeout": 10,
            "MemorySize": 1024,
            "LoggingConfig": {"LogGroup": Match.any_value()},
            "KmsKeyArn": Match.any_value(),
        },
    )


def test_prod_gives_the_function_one_full_vcpu_for_argon2(prod: Synthesized) -> None:
    assert _function(prod)["Properties"]["MemorySize"] == 1769


def test_the_environment_names_secrets_by_arn_and_never_holds_a_secret(
    dev: Synthesized,
) -> None:
    variables = _function(dev)["Properties"]["Environment"]["Variables"]
    assert variables["APP_ENV"] == "dev"
    assert variables["APP_STORAGE"] == "mongo"
    assert variables["LOG_LEVEL"] == "INFO"
    assert (variables["TRACER"], variables["METRICS"]) == ("xray", "emf")
    assert variables["JWT_ISSUER"] == "serverless-auth"
    assert variables["JWT_AUDIENCE"] == "serverless-auth-api"
    jwt_secret = _logical_id(dev, "AWS::SecretsManager::Secret", "DataJwtSecret")
    mongo_secret = _logical_id(dev, "AWS::SecretsManager::Secret", "DataMongoDbUri")
    hmac_secret = _logical_id(dev, "AWS::SecretsManager::Secret", "DataIdentifierHmacKey")
    assert variables["JWT_SECRET_ARN"] == {"Ref": jwt_secret}
    assert variables["MONGODB_URI_SECRET_ARN"] == {"Ref": mongo_secret}
    assert variables["IDENTIFIER_HMAC_KEY_SECRET_ARN"] == {"Ref": hmac_secret}
    data_key = _logical_id(dev, "AWS::KMS::Key", "DataDataKey")
    assert variables["KMS_KEY_ID"] == {"Fn::GetAtt": [data_key, "Arn"]}
    assert not {"JWT_SECRET", "MONGODB_URI", "JWT_PRIVATE_KEY", "IDENTIFIER_HMAC_KEY"} & set(
        variables
    )


def test_the_function_sends_email_with_ses_and_links_to_the_distribution(
    dev: Synthesized,
) -> None:
    variables = _function(dev)["Properties"]["Environment"]["Variables"]
    assert variables["EMAIL_BACKEND"] == "ses"
    # dev synthesized without `email_from` falls back to the placeholder (and warns).
    assert variables["EMAIL_FROM"] == DEV_PLACEHOLDER_EMAIL_FROM
    distribution_id, _ = dev.one("AWS::CloudFront::Distribution")
    assert _flat(variables["PUBLIC_BASE_URL"]) == f"https://${{{distribution_id}.DomainName}}"
    assert variables["REQUIRE_VERIFIED_EMAIL"] == "false"
    assert variables["AUDIT_RETENTION_DAYS"] == "30"
    assert "SES_CONFIGURATION_SET" not in variables
    assert _flat(dev.json["Outputs"]["PublicBaseUrl"]["Value"]) == _flat(
        variables["PUBLIC_BASE_URL"]
    )


def test_prod_sends_from_the_configured_identity_and_configuration_set(
    prod: Synthesized,
) -> None:
    variables = _function(prod)["Properties"]["Environment"]["Variables"]
    assert variables["EMAIL_BACKEND"] == "ses"
    assert variables["EMAIL_FROM"] == "Serverless Auth <no-reply@mail.example.org>"
    assert variables["SES_CONFIGURATION_SET"] == "serverless-auth-prod"
    assert variables["REQUIRE_VERIFIED_EMAIL"] == "true"
    assert variables["AUDIT_RETENTION_DAYS"] == "365"
    distribution_id, _ = prod.one("AWS::CloudFront::Distribution")
    assert _flat(variables["PUBLIC_BASE_URL"]) == f"https://${{{distribution_id}.DomainName}}"


ACCOUNT_ARN = "aws:{service}:eu-west-1:123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _deployed(synth: Synthesized, raw: Any) -> str:
    """A variable as it reads once deployed: references become values of their kind."""
    flat = _flat(raw)
    for reference in re.findall(r"\$\{([^}]+)\}", flat):
        name, _, attribute = reference.partition(".")
        kind = synth.json["Resources"][name]["Type"]
        if kind == "AWS::KMS::Key" and attribute == "Arn":
            value = f"arn:{ACCOUNT_ARN.format(service='kms')}:key/{KEY_ID}"
        elif kind == "AWS::SecretsManager::Secret":
            value = f"arn:{ACCOUNT_ARN.format(service='secretsmanager')}:secret:{name}-AbCdEf"
        elif kind == "AWS::CloudFront::Distribution" and attribute == "DomainName":
            value = "d111111abcdef8.cloudfront.net"
        else:
            raise AssertionError(f"no deployed value for {reference} ({kind})")
        flat = flat.replace("${" + reference + "}", value)
    return flat


@pytest.mark.parametrize("stage", ["dev", "prod", "prod-nat"])
def test_the_app_starts_with_the_synthesized_environment(
    synthesized: dict[str, Synthesized], stage: str
) -> None:
    """The deployed environment passes the app's own start-up checks (settings.py),
    with references given deploy-time values and the secrets as the function reads them."""
    from entrypoints.settings import load_settings

    synth = synthesized[stage]
    variables = _function(synth)["Properties"]["Environment"]["Variables"]
    resolved = {name: _deployed(synth, raw) for name, raw in variables.items()}
    settings = load_settings(
        {
            **resolved,
            "AWS_LAMBDA_FUNCTION_NAME": "serverless-auth",
            "JWT_SECRET": "q2Vx8Lr0aTz_kN4mPw7cYb1HdG9sJf3uE6iR5oXn-Q2vW8yA",
            "IDENTIFIER_HMAC_KEY": "h8Tq3Vw1Ls6Np0Xc4Bz7Rm2Kd9Fy5Gj_Ue-Ai3Ho8Wt1Qn6Ev",
            "MONGODB_URI": "mongodb+srv://app:pw@cluster0.example.mongodb.net/",
        }
    )
    assert settings.environment == stage.removesuffix("-nat")
    assert settings.email_backend == "ses"
    assert settings.email_from == variables["EMAIL_FROM"]
    assert settings.public_base_url.startswith("https://")
    assert settings.public_base_url.endswith(".cloudfront.net")


def test_reserved_concurrency_is_set_in_prod_and_left_unreserved_in_dev(
    dev: Synthesized, prod: Synthesized
) -> None:
    assert _function(prod)["Properties"]["ReservedConcurrentExecutions"] == 100
    assert "ReservedConcurrentExecutions" not in _function(dev)["Properties"]


def test_reserved_concurrency_comes_from_context() -> None:
    assert stage_config({"stage": "dev", "reserved_concurrency": "7"}).reserved_concurrency == 7
    prod = {
        "stage": "prod",
        "email_from": "no-reply@example.org",
        "alarm_email": "ops@example.org",
        "reserved_concurrency": "none",
    }
    assert stage_config(prod).reserved_concurrency is None
    with pytest.raises(ConfigError, match="reserved_concurrency"):
        stage_config({"stage": "dev", "reserved_concurrency": "0"})


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ConfigError, match="stage"):
        stage_config({"stage": "staging"})


@pytest.mark.parametrize("context", [{}, {"email_from": ""}, {"email_from": "  "}])
def test_prod_refuses_to_synthesize_without_a_sender(context: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"email_from: required for stage prod.*-c email_from="):
        stage_config({"stage": "prod", **context})


def test_the_prod_app_fails_at_synth_naming_the_missing_context_key(
    lambda_bundle: Any, tmp_path: Any
) -> None:
    from infra.app import build_app

    with pytest.raises(ConfigError, match="email_from"):
        build_app({"stage": "prod"}, bundle_zip=lambda_bundle.zip_path, outdir=tmp_path)


def test_dev_falls_back_to_the_placeholder_sender_only_without_context() -> None:
    assert stage_config({"stage": "dev"}).email_from == DEV_PLACEHOLDER_EMAIL_FROM
    config = stage_config({"stage": "dev", "email_from": "auth@dev.example.net"})
    assert config.email_from == "auth@dev.example.net"
    assert config.sender_identities == ("auth@dev.example.net", "dev.example.net")


@pytest.mark.parametrize(
    "value", ["no-reply", "no-reply@", "a@b", "a b@example.com", "a@example.com, b@example.com"]
)
def test_a_malformed_sender_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="email_from: expected"):
        stage_config({"stage": "prod", "email_from": value})


def test_a_display_name_is_kept_and_the_identities_use_the_bare_address() -> None:
    config = stage_config(
        {"stage": "prod", "email_from": "Auth <no-reply@example.org>", "alarm_email": "o@x.org"}
    )
    assert config.email_from == "Auth <no-reply@example.org>"
    assert config.sender_identities == ("no-reply@example.org", "example.org")


def test_email_settings_come_from_context_with_per_stage_defaults() -> None:
    prod = {"stage": "prod", "email_from": "no-reply@example.org", "alarm_email": "o@x.org"}
    assert stage_config(prod).audit_retention_days == 365
    assert stage_config({"stage": "dev"}).audit_retention_days == 30
    assert stage_config(prod).require_verified_email is False
    assert stage_config(prod).ses_configuration_set is None
    assert stage_config(prod).public_base_url is None
    config = stage_config(
        {
            **prod,
            "require_verified_email": "true",
            "audit_retention_days": "400",
            "ses_configuration_set": "auth-prod",
            "public_base_url": "https://auth.example.org/",
        }
    )
    assert config.require_verified_email is True
    assert config.audit_retention_days == 400
    assert config.ses_configuration_set == "auth-prod"
    assert config.public_base_url == "https://auth.example.org"
    for key, value in (
        ("require_verified_email", "maybe"),
        ("audit_retention_days", "0"),
        ("audit_retention_days", "a year"),
        ("ses_configuration_set", "has spaces"),
        ("public_base_url", "http://auth.example.org"),
        ("public_base_url", "https://auth.example.org/app"),
    ):
        with pytest.raises(ConfigError, match=key):
            stage_config({**prod, key: value})


def test_the_function_logs_to_its_own_encrypted_group_with_retention(
    dev: Synthesized, prod: Synthesized
) -> None:
    for synth, days in ((dev, 14), (prod, 90)):
        group_id = _ref_id(_function(synth)["Properties"]["LoggingConfig"]["LogGroup"])
        group = synth.json["Resources"][group_id]
        assert group["Properties"]["RetentionInDays"] == days
        assert "KmsKeyId" in group["Properties"]


def test_every_log_group_has_retention_and_a_kms_key(dev: Synthesized) -> None:
    groups = dev.resources("AWS::Logs::LogGroup")
    assert len(groups) >= 4  # function, access logs, WAF, site deployment
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] > 0
        assert "KmsKeyId" in group["Properties"]


# ---- least privilege -----------------------------------------------------------------


def test_the_function_role_has_no_managed_policies_and_only_its_own_grants(
    dev: Synthesized,
) -> None:
    role_id = _ref_id(_function(dev)["Properties"]["Role"])
    role = dev.json["Resources"][role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    policies = [
        p
        for p in dev.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in _statements(p)]
    actions = {a for s in statements for a in _as_list(s["Action"])}
    # GetSecretValue only: DescribeSecret (which grant_read adds) is not needed.
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "ses:SendEmail",
    }
    for statement in statements:
        assert statement["Effect"] == "Allow"
        acts = _as_list(statement["Action"])
        assert not any(a == "*" or a.endswith(":*") for a in acts)
        if statement["Resource"] == "*":
            # X-Ray has no resource-level permissions.
            assert all(a.startswith("xray:") for a in acts), statement


def test_the_function_reads_exactly_its_three_secrets(dev: Synthesized) -> None:
    role_id = _ref_id(_function(dev)["Properties"]["Role"])
    statements = [
        s
        for p in dev.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in _statements(p)
    ]
    secret_resources = [
        r
        for s in statements
        if "secretsmanager:GetSecretValue" in _as_list(s["Action"])
        for r in _as_list(s["Resource"])
    ]
    expected = [
        {"Ref": _logical_id(dev, "AWS::SecretsManager::Secret", prefix)}
        for prefix in ("DataJwtSecret", "DataMongoDbUri", "DataIdentifierHmacKey")
    ]
    assert sorted(secret_resources, key=json.dumps) == sorted(expected, key=json.dumps)
    # Neither origin token: only CloudFront and WAF resolve those.


def test_the_function_may_send_email_only_from_its_sender_identities(
    dev: Synthesized, prod: Synthesized
) -> None:
    arn = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
    expected = [
        (dev, {f"{arn}:identity/no-reply@example.com", f"{arn}:identity/example.com"}),
        (
            prod,
            {
                f"{arn}:identity/no-reply@mail.example.org",
                f"{arn}:identity/mail.example.org",
                f"{arn}:configuration-set/serverless-auth-prod",
            },
        ),
    ]
    for synth, resources in expected:
        statements = [
            s for s in _function_statements(synth) if "ses:SendEmail" in _as_list(s["Action"])
        ]
        assert len(statements) == 1, statements
        assert _as_list(statements[0]["Action"]) == ["ses:SendEmail"]
        assert statements[0]["Effect"] == "Allow"
        # A verified domain would let any of its addresses send: the sender is pinned.
        address = next(r.rsplit("/", 1)[1] for r in resources if "@" in r)
        assert statements[0]["Condition"] == {"StringEquals": {"ses:FromAddress": address}}
        assert {_flat(r) for r in _as_list(statements[0]["Resource"])} == resources


def test_the_function_may_decrypt_with_the_key_only_through_secrets_manager(
    dev: Synthesized,
) -> None:
    role_id = _ref_id(_function(dev)["Properties"]["Role"])
    key = dev.json["Resources"][_logical_id(dev, "AWS::KMS::Key", "DataKey")]
    grants = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"].get("AWS") == {"Fn::GetAtt": [role_id, "Arn"]}
    ]
    assert len(grants) == 1
    assert grants[0]["Action"] == "kms:Decrypt"
    via = grants[0]["Condition"]["StringEquals"]["kms:ViaService"]
    assert "secretsmanager." in json.dumps(via)


def test_log_writes_are_scoped_to_the_function_log_group(dev: Synthesized) -> None:
    function = _function(dev)
    role_id = _ref_id(function["Properties"]["Role"])
    group_id = _ref_id(function["Properties"]["LoggingConfig"]["LogGroup"])
    statements = [
        s
        for p in dev.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in _statements(p)
        if "logs:PutLogEvents" in _as_list(s["Action"])
    ]
    assert len(statements) == 1
    assert group_id in json.dumps(statements[0]["Resource"])


# ---- secrets and key -----------------------------------------------------------------


def test_the_jwt_secret_is_generated_at_deploy_time_as_64_characters(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {
            "Name": {"Fn::Join": ["", ["serverless-auth/dev-", STACK_UUID, "/jwt"]]},
            "KmsKeyId": Match.any_value(),
            "GenerateSecretString": {
                "GenerateStringKey": "JWT_SECRET",
                "PasswordLength": 64,
                "ExcludePunctuation": True,
                "SecretStringTemplate": "{}",
            },
        },
    )


def test_the_mongodb_uri_secret_is_encrypted_and_named_for_the_operator(
    prod: Synthesized,
) -> None:
    prod.template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {
            "Name": {"Fn::Join": ["", ["serverless-auth/prod-", STACK_UUID, "/mongodb-uri"]]},
            "KmsKeyId": Match.any_value(),
        },
    )


def test_the_kms_key_rotates_and_lets_logs_and_alarms_use_it(dev: Synthesized) -> None:
    key = dev.json["Resources"][_logical_id(dev, "AWS::KMS::Key", "DataKey")]
    assert key["Properties"]["EnableKeyRotation"] is True
    principals = json.dumps(key["Properties"]["KeyPolicy"])
    assert "logs." in principals
    assert "cloudwatch.amazonaws.com" in principals


def test_prod_keeps_data_when_the_stack_is_deleted_and_dev_does_not(
    dev: Synthesized, prod: Synthesized
) -> None:
    kinds = (
        "AWS::SecretsManager::Secret",
        "AWS::KMS::Key",
        "AWS::S3::Bucket",
    )
    for kind in kinds:
        for resource in prod.resources(kind).values():
            assert resource["DeletionPolicy"] == "Retain", kind
        for resource in dev.resources(kind).values():
            assert resource["DeletionPolicy"] == "Delete", kind
    for name, group in prod.resources("AWS::Logs::LogGroup").items():
        if "DeployLogs" not in name:
            assert group["DeletionPolicy"] == "Retain", name


# ---- API Gateway ---------------------------------------------------------------------


def test_the_rest_api_is_regional_and_proxies_everything_to_the_function(
    dev: Synthesized,
) -> None:
    dev.template.has_resource_properties(
        "AWS::ApiGateway::RestApi",
        {"Name": "serverless-auth-dev", "EndpointConfiguration": {"Types": ["REGIONAL"]}},
    )
    dev.template.has_resource_properties("AWS::ApiGateway::Resource", {"PathPart": "{proxy+}"})
    methods = dev.resources("AWS::ApiGateway::Method")
    assert len(methods) == 2  # ANY / and ANY /{proxy+}
    for method in methods.values():
        assert method["Properties"]["HttpMethod"] == "ANY"
        assert method["Properties"]["Integration"]["Type"] == "AWS_PROXY"


def test_the_stage_traces_throttles_and_logs_access_as_json(dev: Synthesized) -> None:
    _, stage = dev.one("AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["TracingEnabled"] is True
    settings = props["MethodSettings"][0]
    assert settings["HttpMethod"] == "*"
    assert settings["ResourcePath"] == "/*"
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 100
    assert settings["DataTraceEnabled"] is False
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["MetricsEnabled"] is True
    access = props["AccessLogSetting"]
    assert "AccessLogs" in json.dumps(access["DestinationArn"])
    fields = json.loads(access["Format"])
    for field in ("requestId", "ip", "status", "xrayTraceId", "responseLatency"):
        assert field in fields


def test_prod_throttles_the_stage_at_its_own_limits(prod: Synthesized) -> None:
    _, stage = prod.one("AWS::ApiGateway::Stage")
    settings = stage["Properties"]["MethodSettings"][0]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (500, 1000)


# ---- WAF -----------------------------------------------------------------------------


def _rules(synth: Synthesized) -> dict[str, dict[str, Any]]:
    _, acl = synth.one("AWS::WAFv2::WebACL")
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def test_the_web_acl_runs_the_managed_groups_and_the_auth_rate_limit(dev: Synthesized) -> None:
    _, acl = dev.one("AWS::WAFv2::WebACL")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    rules = _rules(dev)
    assert set(rules) == {
        "RequireOriginToken",
        "AuthRateLimit",
        "AuthBodySizeLimit",
        *MANAGED_GROUPS,
        "BodyRulesOutsidePasswordRoutes",
    }
    priorities = [rule["Priority"] for rule in rules.values()]
    assert len(set(priorities)) == len(priorities)
    for group in MANAGED_GROUPS:
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
        assert rules[group]["OverrideAction"] == {"None": {}}


def test_common_rules_count_oversized_bodies_and_missing_user_agents(dev: Synthesized) -> None:
    statement = _rules(dev)["AWSManagedRulesCommonRuleSet"]["Statement"]
    overrides = statement["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    body_rules = BODY_RULES["AWSManagedRulesCommonRuleSet"]
    assert {o["Name"]: o["ActionToUse"] for o in overrides} == {
        rule: {"Count": {}} for rule in (*COUNTED_COMMON_RULES, *body_rules)
    }


def test_the_rate_limit_applies_to_auth_paths_per_viewer_address(dev: Synthesized) -> None:
    rule = _rules(dev)["AuthRateLimit"]
    assert rule["Action"] == {"Block": {}}
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["Limit"] == 300
    assert rate["EvaluationWindowSec"] == 300
    assert rate["AggregateKeyType"] == "FORWARDED_IP"
    assert rate["ForwardedIPConfig"] == {"HeaderName": "X-Viewer-Ip", "FallbackBehavior": "MATCH"}
    paths = {
        s["ByteMatchStatement"]["SearchString"]
        for s in rate["ScopeDownStatement"]["OrStatement"]["Statements"]
    }
    assert paths == {"/api/v1/auth/", "/dev/api/v1/auth/"}


def test_requests_without_the_origin_token_are_blocked(dev: Synthesized) -> None:
    rule = _rules(dev)["RequireOriginToken"]
    assert rule["Priority"] == 0
    assert rule["Action"] == {"Block": {}}
    either = rule["Statement"]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    tokens = set()
    for statement in either:
        match = statement["ByteMatchStatement"]
        assert match["FieldToMatch"] == {"SingleHeader": {"Name": "x-origin-token"}}
        assert match["PositionalConstraint"] == "EXACTLY"
        # A dynamic reference: the token itself is never in the template.
        reference = json.dumps(match["SearchString"])
        assert "resolve:secretsmanager" in reference
        tokens |= {k for k in dev.resources("AWS::SecretsManager::Secret") if k in reference}
    # The current token and the previous one, so a rotation never blocks CloudFront.
    origin_tokens = {k for k in dev.resources("AWS::SecretsManager::Secret") if "OriginToken" in k}
    assert len(origin_tokens) == 2
    assert tokens == origin_tokens


def test_every_rule_and_the_acl_emit_metrics_and_sampled_requests(dev: Synthesized) -> None:
    _, acl = dev.one("AWS::WAFv2::WebACL")
    configs = [acl["Properties"]["VisibilityConfig"]]
    configs += [rule["VisibilityConfig"] for rule in acl["Properties"]["Rules"]]
    for config in configs:
        assert config["CloudWatchMetricsEnabled"] is True
        assert config["SampledRequestsEnabled"] is True


def test_the_web_acl_is_associated_with_the_api_stage(dev: Synthesized) -> None:
    _, association = dev.one("AWS::WAFv2::WebACLAssociation")
    stage_id, _ = dev.one("AWS::ApiGateway::Stage")
    arn = json.dumps(association["Properties"]["ResourceArn"])
    assert "/stages/" in arn
    assert stage_id in arn
    acl_id, _ = dev.one("AWS::WAFv2::WebACL")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_waf_logs_redact_credentials(dev: Synthesized) -> None:
    _, logging = dev.one("AWS::WAFv2::LoggingConfiguration")
    redacted = {f["SingleHeader"]["Name"] for f in logging["Properties"]["RedactedFields"]}
    assert redacted == {"authorization", "cookie", "x-origin-token"}
    destination = json.dumps(logging["Properties"]["LogDestinationConfigs"])
    group_id = _logical_id(dev, "AWS::Logs::LogGroup", "WafLogs")
    assert group_id in destination
    group = dev.json["Resources"][group_id]["Properties"]
    # Unique per creation of the stack: a retained group never blocks the next one.
    assert _flat(group["LogGroupName"]) == "aws-waf-logs-serverless-auth-dev-${StackUuid}"


# ---- frontend ------------------------------------------------------------------------


def test_the_site_bucket_is_private_encrypted_and_tls_only(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": Match.any_value(),
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    _, policy = dev.one("AWS::S3::BucketPolicy")
    statements = _statements(policy)
    assert any(
        s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s.get("Condition"))
        for s in statements
    )
    reads = [s for s in statements if s["Effect"] == "Allow" and "s3:GetObject" in s["Action"]]
    assert reads
    for statement in reads:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert "AWS:SourceArn" in json.dumps(statement["Condition"])


def test_cloudfront_reads_the_bucket_through_origin_access_control(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {"OriginAccessControlConfig": Match.object_like({"OriginAccessControlOriginType": "s3"})},
    )


def _distribution(synth: Synthesized) -> dict[str, Any]:
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def test_api_paths_go_to_the_api_stage_on_the_same_origin(dev: Synthesized) -> None:
    config = _distribution(dev)
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert "/api/*" in behaviors
    api = behaviors["/api/*"]
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert set(api["AllowedMethods"]) >= {"POST", "PATCH", "DELETE", "OPTIONS"}
    # Managed policies: CachingDisabled and AllViewerExceptHostHeader.
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    origins = {o["Id"]: o for o in config["Origins"]}
    origin = origins[api["TargetOriginId"]]
    rest_api_id, _ = dev.one("AWS::ApiGateway::RestApi")
    assert _flat(origin["DomainName"]) == (
        f"${{{rest_api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
    )
    assert origin["OriginPath"] == "/dev"
    assert origin["CustomOriginConfig"] == {
        "OriginProtocolPolicy": "https-only",
        "OriginSSLProtocols": ["TLSv1.2"],
    }
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    assert "resolve:secretsmanager" in json.dumps(headers["x-origin-token"])
    functions = api["FunctionAssociations"]
    assert [f["EventType"] for f in functions] == ["viewer-request"]


def test_the_viewer_ip_function_overwrites_the_header_waf_trusts(dev: Synthesized) -> None:
    codes = [
        f["Properties"]["FunctionCode"] for f in dev.resources("AWS::CloudFront::Function").values()
    ]
    assert any("request.headers['x-viewer-ip'] = { value: event.viewer.ip }" in c for c in codes)


def test_the_site_is_served_from_s3_over_https_with_security_headers(dev: Synthesized) -> None:
    config = _distribution(dev)
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    policy_id = _ref_id(default["ResponseHeadersPolicyId"])
    policy = dev.json["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000
    assert hsts["IncludeSubdomains"] is True
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp


def test_the_static_export_is_uploaded_and_the_cache_invalidated(dev: Synthesized) -> None:
    dev.template.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {"DistributionPaths": ["/*"], "DistributionId": Match.any_value()},
    )


def test_the_distribution_does_not_depend_on_the_function_that_links_to_it(
    synthesized: dict[str, Synthesized],
) -> None:
    """The function's PUBLIC_BASE_URL refers to the distribution, so nothing the
    distribution refers to, directly or not, may lead back to the function: CloudFormation
    rejects a template with a circular dependency."""
    for synth in synthesized.values():
        resources = synth.json["Resources"]
        edges = {
            name: (
                _references({k: v for k, v in resource.items() if k != "DependsOn"})
                | set(_as_list(resource.get("DependsOn", [])))
            )
            & set(resources)
            for name, resource in resources.items()
        }
        distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
        seen: set[str] = set()
        todo = [distribution_id]
        while todo:
            for target in edges[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        function_id = next(
            k for k, v in resources.items() if v["Properties"] is _function(synth)["Properties"]
        )
        assert function_id not in seen
        assert distribution_id not in seen  # and no cycle through the distribution itself
        # ... while the function does depend on the distribution.
        assert distribution_id in edges[function_id]


# ---- outputs -------------------------------------------------------------------------


def test_the_stack_outputs_what_the_operator_needs(dev: Synthesized) -> None:
    outputs = set(dev.json["Outputs"])
    assert {
        "SiteUrl",
        "PublicBaseUrl",
        "ApiStageUrl",
        "FunctionName",
        "SiteBucketName",
        "DistributionId",
        "JwtSecretArn",
        "MongoDbUriSecretArn",
        "IdentifierHmacKeySecretArn",
        "DataKeyArn",
        "OriginTokenSecretArn",
        "OriginTokenPreviousSecretArn",
        "AlarmTopicArn",
        "WebAclArn",
        "ApiExecutionLogGroup",
    } <= outputs
    assert "AtlasEgressIp" not in outputs  # only with atlas_access=nat


def test_network_and_rotation_context_is_validated() -> None:
    prod = {"stage": "prod", "email_from": "no-reply@example.org", "alarm_email": "o@x.org"}
    assert stage_config(prod).atlas_access == "public"
    assert stage_config({**prod, "atlas_access": "NAT"}).atlas_access == "nat"
    assert stage_config({**prod, "origin_token_rotation": "2025-06-01"}).origin_token_rotation
    for key, value in (
        ("atlas_access", "privatelink"),
        ("origin_token_rotation", "a label with spaces"),
        ("origin_token_rotation", "(2025)"),
        ("origin_token_rotation", "x" * 33),
    ):
        with pytest.raises(ConfigError, match=key):
            stage_config({**prod, key: value})
