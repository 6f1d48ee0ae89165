"""The web ACL's path, body and label conditions, evaluated over requests by a small
model of WAF's statements and text transformations (the subset the ACL uses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

from entrypoints.bootstrap import Services
from entrypoints.http.app import create_app
from infra.stacks.waf import AUTH_BODY_LIMIT, BODY_RULES, PATH_TRANSFORMATIONS
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.integration


@dataclass
class Request:
    path: str
    body_size: int = 0
    labels: set[str] = field(default_factory=set)


def normalize_path(path: str) -> str:
    """WAF's NORMALIZE_PATH: multiple slashes, `.` segments and `..` segments not at the
    beginning removed."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment in {"", "."}:
            continue
        if segment == ".." and out and out[-1] != "..":
            out.pop()
        else:
            out.append(segment)
    tail = "/" if path.endswith("/") and out else ""
    return "/" + "/".join(out) + tail


TRANSFORM = {
    "NONE": lambda s: s,
    "URL_DECODE": unquote,
    "NORMALIZE_PATH": normalize_path,
    "LOWERCASE": str.lower,
}


def _transformed(value: str, transformations: list[dict[str, Any]]) -> str:
    for step in sorted(transformations, key=lambda t: t["Priority"]):
        value = TRANSFORM[step["Type"]](value)
    return value


def matches(statement: dict[str, Any], request: Request) -> bool:
    ((kind, body),) = statement.items()
    if kind == "OrStatement":
        return any(matches(s, request) for s in body["Statements"])
    if kind == "AndStatement":
        return all(matches(s, request) for s in body["Statements"])
    if kind == "NotStatement":
        return not matches(body["Statement"], request)
    if kind == "LabelMatchStatement":
        assert body["Scope"] == "LABEL"
        return body["Key"] in request.labels
    if kind == "SizeConstraintStatement":
        assert body["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
        assert body["ComparisonOperator"] == "GT"
        return request.body_size > body["Size"]
    assert body["FieldToMatch"] == {"UriPath": {}}, body
    path = _transformed(request.path, body["TextTransformations"])
    if kind == "ByteMatchStatement":
        if body["PositionalConstraint"] == "STARTS_WITH":
            return path.startswith(body["SearchString"])
        raise AssertionError(body["PositionalConstraint"])
    if kind == "RegexMatchStatement":
        return re.search(body["RegexString"], path) is not None
    raise AssertionError(kind)


def _rules(synth: Synthesized) -> dict[str, dict[str, Any]]:
    _, acl = synth.one("AWS::WAFv2::WebACL")
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def _path_statements(value: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(value, dict):
        if value.get("FieldToMatch") == {"UriPath": {}}:
            found.append(value)
        for inner in value.values():
            found += _path_statements(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _path_statements(inner)
    return found


SIGN_IN_VARIANTS = [
    "/api/v1/auth/sign-in",
    "/api/v1//auth/sign-in",
    "/api//v1/auth/sign-in",
    "//api/v1/auth/sign-in",
    "/api/v1/auth//sign-in",
    "/api/v1/./auth/sign-in",
    "/api/./v1/auth/sign-in",
    "/api/v1/x/../auth/sign-in",
    "/API/V1/Auth/Sign-In",
    "/api/v1/%61uth/sign-in",
    "/api%2Fv1%2Fauth%2Fsign-in",
    "/api/v1/auth%2F%2Fsign-in",
    "/dev/api/v1/auth/sign-in",
    "/dev/api//v1/auth/sign-in",
    "/dev//api/v1/auth/sign-in",
    "/DEV/api/v1/AUTH/sign-in",
]


def test_every_path_condition_decodes_normalizes_and_lowercases(dev: Synthesized) -> None:
    _, acl = dev.one("AWS::WAFv2::WebACL")
    statements = _path_statements(acl["Properties"]["Rules"])
    assert len(statements) >= 5
    for statement in statements:
        kinds = [
            t["Type"] for t in sorted(statement["TextTransformations"], key=lambda t: t["Priority"])
        ]
        assert kinds == list(PATH_TRANSFORMATIONS), statement


@pytest.mark.parametrize("path", SIGN_IN_VARIANTS)
def test_the_auth_rate_limit_counts_every_spelling_of_an_auth_path(
    dev: Synthesized, path: str
) -> None:
    scope = _rules(dev)["AuthRateLimit"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert matches(scope, Request(path))


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/health", "/api/v1/authx", "/schema"])
def test_the_auth_rate_limit_leaves_other_paths_alone(dev: Synthesized, path: str) -> None:
    scope = _rules(dev)["AuthRateLimit"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert not matches(scope, Request(path))


def test_auth_bodies_over_8_kib_are_blocked_on_every_spelling(dev: Synthesized) -> None:
    rule = _rules(dev)["AuthBodySizeLimit"]
    assert rule["Action"] == {"Block": {}}
    statement = rule["Statement"]
    assert AUTH_BODY_LIMIT == 8192
    for path in SIGN_IN_VARIANTS:
        assert matches(statement, Request(path, AUTH_BODY_LIMIT + 1)), path
        assert not matches(statement, Request(path, AUTH_BODY_LIMIT)), path
    # Other routes keep the API's own 64 KiB limit.
    assert not matches(statement, Request("/api/v1/users/me", 60_000))
    # It runs before the managed groups, whose body rules see only the inspected part.
    assert rule["Priority"] < _rules(dev)["AWSManagedRulesCommonRuleSet"]["Priority"]


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {str(value["$ref"]).rsplit("/", 1)[1]} if "$ref" in value else set()
        return found.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value))
    return set()


def _password_routes(services: Services) -> list[tuple[str, str]]:
    """(method, concrete path) of every route whose request body has a password field."""
    document = create_app(services).openapi_schema.to_schema()
    schemas = document["components"]["schemas"]
    some_id = "0194f1d2-7c3a-7000-8000-000000000001"
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            refs = _refs(operation.get("requestBody", {}))
            fields = {f for ref in refs for f in schemas[ref].get("properties", {})}
            if any("password" in f for f in fields):
                found.append((method, re.sub(r"\{[^}]+\}", some_id, path)))
    return found


def test_password_routes_are_found_in_the_api(fake_services: Services) -> None:
    routes = {path for _, path in _password_routes(fake_services)}
    assert {"/api/v1/auth/sign-in", "/api/v1/auth/sign-up", "/api/v1/users/me/password"} <= routes
    assert len(routes) >= 7


def test_body_rules_block_everywhere_but_on_routes_carrying_a_password(
    dev: Synthesized, fake_services: Services
) -> None:
    """A password may look like SQL or script (`' OR 1=1 --`): the managed body rules
    only count on password routes, whatever the spelling; elsewhere they block."""
    rule = _rules(dev)["BodyRulesOutsidePasswordRoutes"]
    assert rule["Action"] == {"Block": {}}
    statement = rule["Statement"]
    labels = [label for group in BODY_RULES.values() for label in group.values()]
    password_paths = [path for _, path in _password_routes(fake_services)]
    for label in labels:
        for path in password_paths:
            for spelling in (path, path.replace("/v1/", "//v1/"), f"/dev{path}", path.upper()):
                assert not matches(statement, Request(spelling, labels={label})), spelling
        for path in (
            "/api/v1/auth/verify-email",
            "/api/v1/auth/refresh",
            "/api/v1/auth/sign-in/totp",
            "/api/v1/auth/password-reset",
            "/api/v1/users/me/two-factor/confirm",
            "/api/v1/users/me/sessions",
            "/dev/api/v1/auth/verify-email",
        ):
            assert matches(statement, Request(path, labels={label})), (label, path)
    # Without a body-rule label nothing is blocked.
    assert not matches(statement, Request("/api/v1/auth/refresh", labels={"other"}))
    # ... and it comes after the groups that add the labels.
    _, acl = dev.one("AWS::WAFv2::WebACL")
    assert rule["Priority"] == max(r["Priority"] for r in acl["Properties"]["Rules"])


def test_every_body_rule_of_the_groups_only_counts(dev: Synthesized) -> None:
    rules = _rules(dev)
    for group, body_rules in BODY_RULES.items():
        overrides = rules[group]["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
        counted = {o["Name"] for o in overrides if o["ActionToUse"] == {"Count": {}}}
        assert set(body_rules) <= counted, group
        for rule, label in body_rules.items():
            assert rule.endswith("_BODY")
            assert label.rsplit(":", 1)[1].lower() == rule.lower()


def test_a_rotation_label_updates_the_web_acl_and_the_distribution(
    dev: Synthesized, prod: Synthesized
) -> None:
    """CloudFormation reads a secret only when the resource changes: the label given at
    rotation (context origin_token_rotation) changes both resources that read it."""
    for synth, label in ((prod, ", origin token 2025-06-01"), (dev, None)):
        _, acl = synth.one("AWS::WAFv2::WebACL")
        _, distribution = synth.one("AWS::CloudFront::Distribution")
        texts = (
            acl["Properties"]["Description"],
            distribution["Properties"]["DistributionConfig"]["Comment"],
        )
        for text in texts:
            assert (label in text) if label else ("origin token" not in text)


def test_cloudfront_sends_the_current_origin_token(dev: Synthesized) -> None:
    _, distribution = dev.one("AWS::CloudFront::Distribution")
    origins = distribution["Properties"]["DistributionConfig"]["Origins"]
    headers = [h for o in origins for h in o.get("OriginCustomHeaders", [])]
    [token] = [h for h in headers if h["HeaderName"] == "x-origin-token"]
    reference = str(token["HeaderValue"])
    current = [k for k in dev.resources("AWS::SecretsManager::Secret") if "OriginToken" in k]
    assert [k for k in current if k in reference] == [c for c in current if "Previous" not in c]
