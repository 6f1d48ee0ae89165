"""Checks of the target account before a deploy: `python -m infra.preflight --stage prod
-c email_from=... -c alarm_email=...` (`make deploy` runs it first).

Each catches what CloudFormation would otherwise report late, half-way through a
create, or not at all:

- API Gateway's CloudWatch role, an account setting per region that the stack leaves
  alone (infra/README.md, first deploy): without it, creating a stage with access logs
  fails ("CloudWatch Logs role ARN must be set in account settings to enable logging").
- Lambda concurrency: reserving N executions needs the account's quota to keep 10
  unreserved besides. A new account's quota is 10, so prod's default of 100 cannot be
  reserved there: raise the quota (Service Quotas, "Concurrent executions") or deploy
  with `-c reserved_concurrency=none`.
- SES: the sender's address or its domain is a verified identity of the region, else
  every verification and reset email is refused.

Needs credentials for the account and region (the usual AWS variables or profile).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from infra.config import DEV_PLACEHOLDER_EMAIL_FROM, ConfigError, StageConfig, stage_config

# Lambda keeps this many executions out of any reservation.
UNRESERVED_MINIMUM = 10


@dataclass(frozen=True, slots=True)
class AccountFacts:
    cloudwatch_role_arn: str | None
    concurrency_limit: int
    unreserved_concurrency: int
    verified_identities: frozenset[str]


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    message: str


class ApiGatewayClient(Protocol):
    def get_account(self) -> dict[str, Any]: ...


class LambdaClient(Protocol):
    def get_account_settings(self) -> dict[str, Any]: ...


class SesClient(Protocol):
    def get_email_identity(self, *, EmailIdentity: str) -> dict[str, Any]: ...  # noqa: N803


def gather(
    config: StageConfig, apigateway: ApiGatewayClient, lambda_: LambdaClient, ses: SesClient
) -> AccountFacts:
    settings = lambda_.get_account_settings()
    verified = set()
    for identity in config.sender_identities:
        try:
            if ses.get_email_identity(EmailIdentity=identity).get("VerifiedForSendingStatus"):
                verified.add(identity)
        except Exception as exc:  # botocore's NotFoundException: not an identity here
            if type(exc).__name__ != "NotFoundException":
                raise
    return AccountFacts(
        cloudwatch_role_arn=apigateway.get_account().get("cloudwatchRoleArn") or None,
        concurrency_limit=int(settings["AccountLimit"]["ConcurrentExecutions"]),
        unreserved_concurrency=int(settings["AccountLimit"]["UnreservedConcurrentExecutions"]),
        verified_identities=frozenset(verified),
    )


def check(config: StageConfig, facts: AccountFacts) -> list[Finding]:
    findings = [_cloudwatch_role(facts), _concurrency(config, facts)]
    findings.append(_sender(config, facts))
    return findings


def _cloudwatch_role(facts: AccountFacts) -> Finding:
    if facts.cloudwatch_role_arn:
        return Finding(True, f"API Gateway logs with {facts.cloudwatch_role_arn}")
    return Finding(
        False,
        "API Gateway has no CloudWatch role in this region: the stage's access logs cannot "
        "be enabled. Set it once per account and region (infra/README.md, first deploy): "
        "aws apigateway update-account --patch-operations "
        "op=replace,path=/cloudwatchRoleArn,value=<role ARN>",
    )


def _concurrency(config: StageConfig, facts: AccountFacts) -> Finding:
    reserved = config.reserved_concurrency
    if reserved is None:
        return Finding(True, "no reserved concurrency (the function shares the account's pool)")
    if reserved + UNRESERVED_MINIMUM > facts.concurrency_limit:
        return Finding(
            False,
            f"reserved_concurrency={reserved} needs an account quota of at least "
            f"{reserved + UNRESERVED_MINIMUM} concurrent executions (Lambda keeps "
            f"{UNRESERVED_MINIMUM} unreserved); this account has {facts.concurrency_limit}. "
            f"Request more (Service Quotas > AWS Lambda > Concurrent executions) or deploy "
            f"with -c reserved_concurrency=none, or a number up to "
            f"{max(facts.concurrency_limit - UNRESERVED_MINIMUM, 0)}",
        )
    if reserved + UNRESERVED_MINIMUM > facts.unreserved_concurrency:
        return Finding(
            True,
            f"reserved_concurrency={reserved}: only {facts.unreserved_concurrency} executions "
            f"are unreserved now; fine if this stack already reserves them (a redeploy), "
            f"else other functions hold them and the deploy will fail",
        )
    return Finding(True, f"reserved_concurrency={reserved} fits the account's quota")


def _sender(config: StageConfig, facts: AccountFacts) -> Finding:
    if config.email_from == DEV_PLACEHOLDER_EMAIL_FROM:
        return Finding(True, "email_from is dev's placeholder: emails will be refused by SES")
    if facts.verified_identities & set(config.sender_identities):
        return Finding(True, f"SES may send from {config.sender_address}")
    address, domain = config.sender_identities
    return Finding(
        False,
        f"neither {address} nor {domain} is a verified SES identity in this region: "
        f"verification and reset emails would be refused (infra/README.md, Email)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    from infra.app import CONTEXT_KEYS

    parser = argparse.ArgumentParser(prog="python -m infra.preflight", description=__doc__)
    parser.add_argument("--stage", choices=("dev", "prod"), default="dev")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    context: dict[str, Any] = {"stage": args.stage}
    for item in args.context:
        key, sep, value = item.partition("=")
        if not sep or key not in CONTEXT_KEYS:
            parser.error(f"--context: expected KEY=VALUE with KEY in {', '.join(CONTEXT_KEYS)}")
        context[key] = value
    try:
        config = stage_config(context)
    except ConfigError as exc:
        parser.error(str(exc))
    import boto3  # type: ignore[import-untyped]

    facts = gather(
        config, boto3.client("apigateway"), boto3.client("lambda"), boto3.client("sesv2")
    )
    findings = check(config, facts)
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.message}")  # noqa: T201
    return 0 if all(f.ok for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
