"""Skipped linter checks, each with its reason, attached to the resource it concerns.

checkov reads `Metadata.checkov.skip` and cfn-lint `Metadata.cfn-lint.config.ignore_checks`
from the synthesized template, so a skip lives beside the resource and its reason is in
the template too (`tests/infra` fails on a skip without one).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct

MIN_REASON_LENGTH = 25


def skip_checkov(resource: IConstruct, reasons: dict[str, str]) -> None:
    """Skip checkov checks on `resource` (a CfnResource or an L2 with a default child)."""
    cfn = _cfn(resource)
    existing: dict[str, Any] = cfn.get_metadata("checkov") or {}
    skips = [*existing.get("skip", [])]
    for check, reason in sorted(reasons.items()):
        if len(reason) < MIN_REASON_LENGTH:
            raise ValueError(f"{check}: a skip needs a real reason, got {reason!r}")
        skips.append({"id": check, "comment": reason})
    cfn.add_metadata("checkov", {"skip": skips})


def skip_cfn_lint(resource: IConstruct, reasons: dict[str, str]) -> None:
    """Ignore cfn-lint rules on `resource`; the reasons are kept as metadata too."""
    cfn = _cfn(resource)
    for rule, reason in reasons.items():
        if len(reason) < MIN_REASON_LENGTH:
            raise ValueError(f"{rule}: a skip needs a real reason, got {reason!r}")
    cfn.add_metadata(
        "cfn-lint",
        {"config": {"ignore_checks": sorted(reasons)}, "reasons": dict(sorted(reasons.items()))},
    )


def _cfn(resource: IConstruct) -> CfnResource:
    if isinstance(resource, CfnResource):
        return resource
    child = resource.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to annotate")
    return child
