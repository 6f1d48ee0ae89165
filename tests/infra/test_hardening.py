"""What a fresh account, a redeploy and a reviewer of IAM would trip on: names unique to
each creation of the stack, log groups made by the stack (the API Gateway execution
log group too) and only those usable with the key, the data key and the HMAC secret the
app reads, the checkov skips on the right resources, and the optional VPC for Atlas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.stacks.api import LAMBDA_SKIPS, NO_VPC, UNRESERVED, VPC_ACCESS_POLICY
from infra.stacks.serverless_auth import CDK_HELPER_SKIPS
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.integration

NAME_PROPERTIES = ("Name", "LogGroupName", "BucketName", "AliasName", "TopicName", "FunctionName")


def _function(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    return next(
        (k, v)
        for k, v in synth.resources("AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "entrypoints.lambda_handler.handler"
    )


def _role_statements(synth: Synthesized) -> list[dict[str, Any]]:
    role_id = _function(synth)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _key(synth: Synthesized, prefix: str) -> tuple[str, dict[str, Any]]:
    [(key_id, key)] = [
        (k, v) for k, v in synth.resources("AWS::KMS::Key").items() if k.startswith(prefix)
    ]
    return key_id, key


# ---- redeploy after destroy ----------------------------------------------------------


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_named_resource_that_can_outlive_the_stack_has_a_name_of_its_own(
    synthesized: dict[str, Synthesized], stage: str
) -> None:
    """prod retains secrets and log groups, and a deleted secret keeps its name for its
    recovery window: a fixed name would fail the next create. Names carry the stack id."""
    synth = synthesized[stage]
    checked = 0
    for logical_id, resource in synth.json["Resources"].items():
        lingers = resource.get("DeletionPolicy") == "Retain" or resource["Type"] in {
            "AWS::SecretsManager::Secret",
        }
        names = [resource["Properties"].get(p) for p in NAME_PROPERTIES]
        for name in filter(None, names):
            if lingers:
                checked += 1
                assert "AWS::StackId" in json.dumps(name) or "Ref" in json.dumps(name), (
                    logical_id,
                    name,
                )
    # Five secrets; in prod the retained log groups (function, access, execution, WAF) too.
    assert checked >= (9 if stage == "prod" else 5)


def test_secrets_are_named_per_stack_creation(dev: Synthesized) -> None:
    for secret in dev.resources("AWS::SecretsManager::Secret").values():
        name = json.dumps(secret["Properties"]["Name"])
        assert "serverless-auth/dev-" in name
        assert "AWS::StackId" in name


# ---- logs ----------------------------------------------------------------------------


def test_the_execution_log_group_exists_before_the_stage_with_retention_and_the_key(
    dev: Synthesized, prod: Synthesized
) -> None:
    for synth, days in ((dev, 14), (prod, 90)):
        rest_api_id, _ = synth.one("AWS::ApiGateway::RestApi")
        [(group_id, group)] = [
            (k, v)
            for k, v in synth.resources("AWS::Logs::LogGroup").items()
            if "API-Gateway-Execution-Logs_" in json.dumps(v["Properties"].get("LogGroupName"))
        ]
        name = group["Properties"]["LogGroupName"]
        assert name == {
            "Fn::Join": [
                "",
                ["API-Gateway-Execution-Logs_", {"Ref": rest_api_id}, f"/{synth.stage}"],
            ]
        }
        assert group["Properties"]["RetentionInDays"] == days
        assert "KmsKeyId" in group["Properties"]
        _, stage = synth.one("AWS::ApiGateway::Stage")
        assert group_id in stage.get("DependsOn", [])
        # Access logs still go to their own group.
        assert "AccessLogs" in json.dumps(stage["Properties"]["AccessLogSetting"])


def test_the_account_wide_api_gateway_role_is_left_alone(
    synthesized: dict[str, Synthesized],
) -> None:
    for synth in synthesized.values():
        assert not synth.resources("AWS::ApiGateway::Account")
        for role in synth.resources("AWS::IAM::Role").values():
            principals = json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
            assert "apigateway.amazonaws.com" not in principals


def test_cloudwatch_logs_may_use_the_key_for_this_stacks_log_groups_only(
    synthesized: dict[str, Synthesized],
) -> None:
    for synth in synthesized.values():
        _, key = _key(synth, "DataKey")
        [statement] = [
            s
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if "logs." in json.dumps(s["Principal"])
        ]
        patterns = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        texts = [json.dumps(p) for p in patterns]
        assert len(patterns) == 3
        assert not any(t.endswith(':log-group:*"]]}') for t in texts)
        assert all("AWS::StackId" in t or "ApiRestApi" in t for t in texts)
        # Every log group of the stack is covered by one of the patterns.
        for group in synth.resources("AWS::Logs::LogGroup").values():
            name = json.dumps(group["Properties"]["LogGroupName"])
            assert any(
                prefix in name
                for prefix in ("/serverless-auth/", "aws-waf-logs-", "API-Gateway-Execution-Logs_")
            ), name


# ---- IAM -----------------------------------------------------------------------------


def test_the_data_key_rotates_and_the_function_uses_it_only_under_the_apps_context(
    dev: Synthesized, prod: Synthesized
) -> None:
    for synth in (dev, prod):
        key_id, key = _key(synth, "DataDataKey")
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == ("Retain" if synth.stage == "prod" else "Delete")
        uses = [
            s for s in _role_statements(synth) if json.dumps(key_id) in json.dumps(s["Resource"])
        ]
        assert len(uses) == 1
        assert sorted(uses[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert uses[0]["Condition"] == {
            "StringEquals": {"kms:EncryptionContext:app": "serverless-auth"}
        }
        # ... and nothing else in the role touches it.
        others = [s for s in _role_statements(synth) if s is not uses[0]]
        assert key_id not in json.dumps(others)


def test_the_identifier_hmac_key_is_generated_and_encrypted_with_the_stack_key(
    dev: Synthesized,
) -> None:
    [(secret_id, secret)] = [
        (k, v)
        for k, v in dev.resources("AWS::SecretsManager::Secret").items()
        if k.startswith("DataIdentifierHmacKey")
    ]
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 64
    assert "SecretStringTemplate" not in generated  # a bare string: the key itself
    main_key, _ = _key(dev, "DataKey")
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [main_key, "Arn"]}
    reads = [
        s
        for s in _role_statements(dev)
        if {"Ref": secret_id}
        in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    assert [s["Action"] for s in reads] == ["secretsmanager:GetSecretValue"]
    assert dev.json["Outputs"]["IdentifierHmacKeySecretArn"]["Value"] == {"Ref": secret_id}
    data_key, _ = _key(dev, "DataDataKey")
    assert dev.json["Outputs"]["DataKeyArn"]["Value"] == {"Fn::GetAtt": [data_key, "Arn"]}


def test_no_statement_of_the_function_allows_describing_or_listing_secrets(
    synthesized: dict[str, Synthesized],
) -> None:
    for synth in synthesized.values():
        actions = json.dumps([s["Action"] for s in _role_statements(synth)])
        assert "secretsmanager:DescribeSecret" not in actions
        assert "secretsmanager:List" not in actions


# ---- checkov skips -------------------------------------------------------------------


def _skips(resource: dict[str, Any]) -> dict[str, str]:
    return {
        s["id"]: s["comment"]
        for s in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_our_function_carries_none_of_the_cdk_helper_skips(
    dev: Synthesized, prod: Synthesized, prod_nat: Synthesized
) -> None:
    expected = {
        "dev": {**LAMBDA_SKIPS, "CKV_AWS_117": NO_VPC, "CKV_AWS_115": UNRESERVED},
        "prod": {**LAMBDA_SKIPS, "CKV_AWS_117": NO_VPC},
        "prod-nat": dict(LAMBDA_SKIPS),
    }
    for synth in (dev, prod, prod_nat):
        _, function = _function(synth)
        skips = _skips(function)
        assert skips == expected[synth.stage]
        assert not set(skips.values()) & set(CDK_HELPER_SKIPS.values())
        ids = [s["id"] for s in function["Metadata"]["checkov"]["skip"]]
        assert len(ids) == len(set(ids))


def test_every_cdk_helper_function_carries_the_helper_skips(prod_nat: Synthesized) -> None:
    ours, _ = _function(prod_nat)
    helpers = {k: v for k, v in prod_nat.resources("AWS::Lambda::Function").items() if k != ours}
    assert len(helpers) >= 2  # the bucket deployment, the default security group
    for resource in helpers.values():
        assert _skips(resource) == CDK_HELPER_SKIPS


# ---- the VPC for Atlas ---------------------------------------------------------------


def test_without_the_option_there_is_no_network(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        kinds = {r["Type"] for r in synth.json["Resources"].values()}
        assert not {k for k in kinds if k.startswith("AWS::EC2::")}
        _, function = _function(synth)
        assert "VpcConfig" not in function["Properties"]
        assert "AtlasEgressIp" not in synth.json["Outputs"]


def test_with_atlas_access_nat_the_function_leaves_through_one_address(
    prod_nat: Synthesized,
) -> None:
    eip_id, _ = prod_nat.one("AWS::EC2::EIP")
    _, nat = prod_nat.one("AWS::EC2::NatGateway")
    assert nat["Properties"]["AllocationId"] == {"Fn::GetAtt": [eip_id, "AllocationId"]}
    assert prod_nat.json["Outputs"]["AtlasEgressIp"]["Value"] == {"Ref": eip_id}
    _, function = _function(prod_nat)
    vpc = function["Properties"]["VpcConfig"]
    subnets = prod_nat.resources("AWS::EC2::Subnet")
    private = {k for k, v in subnets.items() if not v["Properties"].get("MapPublicIpOnLaunch")}
    assert {s["Ref"] for s in vpc["SubnetIds"]} <= private
    assert len(vpc["SubnetIds"]) == 2
    # Every private subnet routes to the internet through that NAT gateway.
    nat_id, _ = prod_nat.one("AWS::EC2::NatGateway")
    nat_routes = [
        r
        for r in prod_nat.resources("AWS::EC2::Route").values()
        if "NatGatewayId" in r["Properties"]
    ]
    assert len(nat_routes) == 2
    assert all(r["Properties"]["NatGatewayId"] == {"Ref": nat_id} for r in nat_routes)
    # No subnet hands out public addresses.
    assert all(v["Properties"].get("MapPublicIpOnLaunch") is False for v in subnets.values())


def test_the_functions_security_group_lets_out_https_and_atlas_only(prod_nat: Synthesized) -> None:
    _, group = prod_nat.one("AWS::EC2::SecurityGroup")
    egress = {
        (r["IpProtocol"], r["FromPort"], r["ToPort"])
        for r in group["Properties"]["SecurityGroupEgress"]
    }
    assert egress == {("tcp", 443, 443), ("tcp", 27015, 27017)}
    assert "SecurityGroupIngress" not in group["Properties"]


def test_the_vpc_logs_its_flows_and_the_function_may_manage_its_interfaces(
    prod_nat: Synthesized,
) -> None:
    _, flow_log = prod_nat.one("AWS::EC2::FlowLog")
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["LogDestinationType"] == "cloud-watch-logs"
    _, function = _function(prod_nat)
    role = prod_nat.json["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    assert VPC_ACCESS_POLICY in json.dumps(role["Properties"]["ManagedPolicyArns"])
