"""The account checks before a deploy (infra/preflight.py), with fake AWS clients."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import stage_config
from infra.preflight import AccountFacts, check, gather

pytestmark = pytest.mark.unit

PROD = {"stage": "prod", "email_from": "Auth <no-reply@mail.example.org>", "alarm_email": "o@x.org"}


class NotFoundException(Exception):  # noqa: N818 - botocore's name, matched by name
    pass


class FakeApiGateway:
    def __init__(self, role: str | None) -> None:
        self.role = role

    def get_account(self) -> dict[str, Any]:
        return {"cloudwatchRoleArn": self.role} if self.role else {}


class FakeLambda:
    def __init__(self, limit: int, unreserved: int) -> None:
        self.limit, self.unreserved = limit, unreserved

    def get_account_settings(self) -> dict[str, Any]:
        return {
            "AccountLimit": {
                "ConcurrentExecutions": self.limit,
                "UnreservedConcurrentExecutions": self.unreserved,
            }
        }


class FakeSes:
    def __init__(self, identities: dict[str, bool]) -> None:
        self.identities = identities

    def get_email_identity(self, *, EmailIdentity: str) -> dict[str, Any]:  # noqa: N803
        if EmailIdentity not in self.identities:
            raise NotFoundException(EmailIdentity)
        return {"VerifiedForSendingStatus": self.identities[EmailIdentity]}


ROLE = "arn:aws:iam::123456789012:role/apigateway-cloudwatch"


def _facts(**overrides: Any) -> AccountFacts:
    base: dict[str, Any] = {
        "cloudwatch_role_arn": ROLE,
        "concurrency_limit": 1000,
        "unreserved_concurrency": 1000,
        "verified_identities": frozenset({"mail.example.org"}),
    }
    return AccountFacts(**{**base, **overrides})


def test_a_ready_account_passes() -> None:
    findings = check(stage_config(PROD), _facts())
    assert all(f.ok for f in findings), findings


def test_a_new_accounts_quota_of_10_cannot_hold_prods_reservation() -> None:
    config = stage_config(PROD)
    assert config.reserved_concurrency == 100
    [concurrency] = [
        f
        for f in check(config, _facts(concurrency_limit=10, unreserved_concurrency=10))
        if "reserved_concurrency" in f.message
    ]
    assert not concurrency.ok
    assert "at least 110" in concurrency.message
    assert "-c reserved_concurrency=none" in concurrency.message
    unreserved = stage_config({**PROD, "reserved_concurrency": "none"})
    assert all(
        f.ok for f in check(unreserved, _facts(concurrency_limit=10, unreserved_concurrency=10))
    )


def test_a_missing_api_gateway_role_is_reported_with_the_fix() -> None:
    [role] = [f for f in check(stage_config(PROD), _facts(cloudwatch_role_arn=None)) if not f.ok]
    assert "update-account" in role.message


def test_an_unverified_sender_is_reported() -> None:
    findings = check(stage_config(PROD), _facts(verified_identities=frozenset()))
    [sender] = [f for f in findings if not f.ok]
    assert "no-reply@mail.example.org" in sender.message
    assert "mail.example.org" in sender.message


def test_facts_are_read_from_the_clients() -> None:
    config = stage_config(PROD)
    facts = gather(
        config,
        FakeApiGateway(ROLE),
        FakeLambda(10, 10),
        FakeSes({"mail.example.org": True}),
    )
    assert facts == AccountFacts(ROLE, 10, 10, frozenset({"mail.example.org"}))
    facts = gather(config, FakeApiGateway(None), FakeLambda(1000, 900), FakeSes({}))
    assert facts.cloudwatch_role_arn is None
    assert facts.verified_identities == frozenset()
