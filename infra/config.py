"""Per-stage settings of the stack, chosen by CDK context: `-c stage=dev|prod`.

Optional context overrides: `alarm_email`, `reserved_concurrency` (a number, or `none`),
`frontend_dir` (a Next.js static export; default `frontend/out`), `jwt_issuer`,
`jwt_audience`.

Lambda sizing. CPU scales with memory (1,769 MB = one vCPU) and argon2id is CPU-bound:
one hash at the OWASP floor (19 MiB, t=2, p=1) takes ~16 ms on a full core and about
twice that at 1,024 MB. Memory itself is never the limit: an instance serves one request
at a time, and even HASHER_MAX_CONCURRENCY=4 hashes in flight need 4 x 19 MiB next to
a ~120 MB process. prod takes 1,769 MB so sign-in and sign-up hash at full speed (more
memory would add a second vCPU that a single request cannot use); dev takes 1,024 MB to
halve the cost per millisecond at the price of slower hashes. The timeout of 10 s is
well above the slowest legitimate request (store timeouts 1.5 s + 2 s, hasher queue 2 s)
and below API Gateway's 29 s, so a stuck invocation cannot run up cost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aws_cdk.aws_logs import RetentionDays

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")


class ConfigError(ValueError):
    """Unknown stage or a bad context value."""


@dataclass(frozen=True, slots=True)
class StageConfig:
    stage: str
    # prod keeps data (secrets, key, logs, bucket) when the stack is deleted.
    retain_data: bool
    log_retention: RetentionDays
    memory_mb: int
    timeout_seconds: int
    # None leaves the function in the account's unreserved pool: a new account has a
    # quota of 10 and AWS keeps 10 unreserved, so dev cannot reserve any.
    reserved_concurrency: int | None
    throttle_rate_limit: float
    throttle_burst_limit: int
    # Requests per client IP per 5 minutes on /api/v1/auth/* before WAF blocks.
    auth_rate_limit: int
    log_level: str = "INFO"
    jwt_issuer: str = "serverless-auth"
    jwt_audience: str = "serverless-auth-api"
    alarm_email: str | None = None
    # Alarm thresholds.
    server_error_rate: float = 0.01
    p99_latency_ms: int = 2500
    lambda_errors: int = 5
    waf_blocked_requests: int = 500
    frontend_dir: Path = ROOT / "frontend" / "out"

    @property
    def stack_name(self) -> str:
        return f"ServerlessAuth-{self.stage}"


DEFAULTS: dict[str, StageConfig] = {
    "dev": StageConfig(
        stage="dev",
        retain_data=False,
        log_retention=RetentionDays.TWO_WEEKS,
        memory_mb=1024,
        timeout_seconds=10,
        reserved_concurrency=None,
        throttle_rate_limit=50,
        throttle_burst_limit=100,
        auth_rate_limit=300,
    ),
    "prod": StageConfig(
        stage="prod",
        retain_data=True,
        log_retention=RetentionDays.THREE_MONTHS,
        memory_mb=1769,
        timeout_seconds=10,
        reserved_concurrency=100,
        throttle_rate_limit=500,
        throttle_burst_limit=1000,
        auth_rate_limit=300,
    ),
}


def stage_config(context: dict[str, Any]) -> StageConfig:
    """The stage named by `context["stage"]` (default dev) with the overrides applied."""
    stage = str(context.get("stage") or "dev")
    if stage not in DEFAULTS:
        raise ConfigError(f"stage: expected one of {', '.join(STAGES)}, got {stage!r}")
    config = DEFAULTS[stage]
    overrides: dict[str, Any] = {}
    if context.get("alarm_email"):
        overrides["alarm_email"] = str(context["alarm_email"])
    if "reserved_concurrency" in context:
        overrides["reserved_concurrency"] = _optional_int(context["reserved_concurrency"])
    if context.get("frontend_dir"):
        overrides["frontend_dir"] = (ROOT / str(context["frontend_dir"])).resolve()
    for name in ("jwt_issuer", "jwt_audience"):
        if context.get(name):
            overrides[name] = str(context[name])
    return replace(config, **overrides)


def _optional_int(raw: Any) -> int | None:
    if raw is None or str(raw).lower() in {"", "none"}:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"reserved_concurrency: expected a number or none, got {raw!r}") from None
    if value < 1:
        raise ConfigError("reserved_concurrency: must be at least 1")
    return value
