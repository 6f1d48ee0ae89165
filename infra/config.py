"""Per-stage settings of the stack, chosen by CDK context: `-c stage=dev|prod`.

Optional context overrides: `alarm_email` (required in prod: alarms must reach someone),
`reserved_concurrency` (a number, or `none`), `frontend_dir` (a Next.js static export;
default `frontend/out`), `jwt_issuer`, `jwt_audience`, `atlas_access` (`public`, the
default, or `nat`: the function in a VPC whose one NAT gateway gives Atlas a single
address to allow; see infra/README.md) and `origin_token_rotation` (any new label after
changing the origin token secrets: it makes CloudFormation read them again).

Email (verification and password-reset links, sent with Amazon SES): `email_from` is the
sender, a verified SES identity (the address itself or its domain). It is required for
every real deploy; see `email_from()` for the one exception (dev without it synthesizes
with a placeholder, so tests and CI need no context, and CDK warns). Optional:
`ses_configuration_set`, `require_verified_email` (true/false, default false),
`audit_retention_days` (default 365 in prod, 30 in dev) and `public_base_url` (the https
origin of the site, for a custom domain in front of the distribution; default: the
distribution's own `https://<id>.cloudfront.net`).

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

import re
from dataclasses import dataclass, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from aws_cdk.aws_logs import RetentionDays

from infra.errors import ConfigError as ConfigError  # re-exported: raised by stage_config

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")
# The sender a dev synth falls back to without `-c email_from=...` (example.com is
# reserved: SES can never verify it, so a dev stack deployed with it cannot send mail).
DEV_PLACEHOLDER_EMAIL_FROM = "no-reply@example.com"
_ADDRESS = re.compile(r"^[^@\s<>]+@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]+$")
# SES configuration set names: letters, digits, '_' and '-', at most 64.
_CONFIGURATION_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HTTPS_ORIGIN = re.compile(r"^https://[^/\s]+$")
# Letters, digits, "." and "-": what a WAF description accepts besides.
_ROTATION_LABEL = re.compile(r"^[A-Za-z0-9.-]{1,32}$")
ATLAS_ACCESS = ("public", "nat")


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
    # Alarm thresholds (per 5-minute period unless said otherwise); infra/stacks/alarms.py.
    server_error_rate: float = 0.01
    # Share of requests answered 4xx, counted once a period has this many requests.
    client_error_rate: float = 0.25
    client_error_min_requests: int = 50
    p99_latency_ms: int = 2500
    lambda_errors: int = 5
    waf_blocked_requests: int = 500
    # Sign-ins refused for a wrong password, and requests answered 429 by the app.
    sign_in_failures: int = 50
    throttled_requests: int = 50
    # Requests blocked by the per-viewer rate limit on /api/v1/auth/*.
    waf_auth_blocks: int = 1
    # Share of the timeout (p99 duration) and of the reserved concurrency (maximum).
    duration_ratio: float = 0.8
    concurrency_ratio: float = 0.8
    # How the function reaches MongoDB Atlas: "public" or "nat" (one Elastic IP).
    atlas_access: str = "public"
    # A label changed on each origin token rotation (README); empty before the first.
    origin_token_rotation: str = ""
    frontend_dir: Path = ROOT / "frontend" / "out"
    # The sender (EMAIL_FROM): `address` or `Display Name <address>`; a verified SES
    # identity, either the address or its domain.
    email_from: str = DEV_PLACEHOLDER_EMAIL_FROM
    ses_configuration_set: str | None = None
    # Refuse sign-in until the address is verified (REQUIRE_VERIFIED_EMAIL).
    require_verified_email: bool = False
    # Days the audit trail is kept (AUDIT_RETENTION_DAYS, a TTL in MongoDB).
    audit_retention_days: int = 365
    # The base of emailed links (PUBLIC_BASE_URL); None: the distribution's https URL.
    public_base_url: str | None = None

    @property
    def stack_name(self) -> str:
        return f"ServerlessAuth-{self.stage}"

    @property
    def sender_address(self) -> str:
        """The bare address of `email_from` (without a display name)."""
        return parseaddr(self.email_from)[1]

    @property
    def sender_identities(self) -> tuple[str, str]:
        """The SES identities that may be the verified one: the address and its domain."""
        address = self.sender_address
        return address, address.rpartition("@")[2]


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
        audit_retention_days=30,
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
    if context.get("atlas_access"):
        value = str(context["atlas_access"]).strip().lower()
        if value not in ATLAS_ACCESS:
            raise ConfigError(
                f"atlas_access: expected one of {', '.join(ATLAS_ACCESS)}, got {value!r}"
            )
        overrides["atlas_access"] = value
    if context.get("origin_token_rotation"):
        overrides["origin_token_rotation"] = _matching(
            "origin_token_rotation",
            _ROTATION_LABEL,
            "a label of letters, digits, '.' or '-' (at most 32), e.g. a date",
            context["origin_token_rotation"],
        )
    if "reserved_concurrency" in context:
        overrides["reserved_concurrency"] = _optional_int(context["reserved_concurrency"])
    if context.get("frontend_dir"):
        overrides["frontend_dir"] = (ROOT / str(context["frontend_dir"])).resolve()
    for name in ("jwt_issuer", "jwt_audience"):
        if context.get(name):
            overrides[name] = str(context[name])
    overrides["email_from"] = email_from(stage, context.get("email_from"))
    overrides["alarm_email"] = alarm_email(stage, context.get("alarm_email"))
    if context.get("ses_configuration_set"):
        overrides["ses_configuration_set"] = _matching(
            "ses_configuration_set",
            _CONFIGURATION_SET,
            "an SES configuration set name (letters, digits, '_' or '-', at most 64)",
            context["ses_configuration_set"],
        )
    if context.get("require_verified_email") not in (None, ""):
        overrides["require_verified_email"] = _bool(
            "require_verified_email", context["require_verified_email"]
        )
    if context.get("audit_retention_days") not in (None, ""):
        overrides["audit_retention_days"] = _positive_int(
            "audit_retention_days", context["audit_retention_days"]
        )
    if context.get("public_base_url"):
        overrides["public_base_url"] = _matching(
            "public_base_url",
            _HTTPS_ORIGIN,
            "an https origin such as https://auth.example.com",
            str(context["public_base_url"]).rstrip("/"),
        )
    return replace(config, **overrides)


def email_from(stage: str, raw: Any) -> str:
    """The sender from context `email_from`, required for every deploy.

    The app refuses to start outside local/test without EMAIL_FROM, so a stack without a
    real sender would deploy a function that cannot start (or cannot send): better to
    stop at synth, naming the context key. The one exception is dev with no value at
    all, so `make synth`, the tests and CI synthesize without knowing any SES identity:
    it gets DEV_PLACEHOLDER_EMAIL_FROM, the stack adds a CDK warning, and mail sent by
    such a stack is rejected by SES (example.com cannot be verified). prod never falls
    back: a missing or empty value is an error.
    """
    value = "" if raw is None else str(raw).strip()
    if not value:
        if stage == "dev":
            return DEV_PLACEHOLDER_EMAIL_FROM
        raise ConfigError(
            f"email_from: required for stage {stage}: the sender address, a verified SES "
            f"identity (address or domain); pass -c email_from=no-reply@your-domain "
            f"(make deploy: CDK_CONTEXT='-c email_from=...')"
        )
    name, address = parseaddr(value)
    if not _ADDRESS.match(address) or (not name and address != value):
        raise ConfigError(
            f"email_from: expected an address like no-reply@example.com or "
            f"'Name <no-reply@example.com>', got {value!r}"
        )
    return value


def alarm_email(stage: str, raw: Any) -> str | None:
    """The address subscribed to the alarm topic: required in prod, where an alarm that
    reaches no one (refresh-token reuse, a failure spike) is as good as none."""
    value = "" if raw is None else str(raw).strip()
    if not value:
        if stage == "prod":
            raise ConfigError(
                "alarm_email: required for stage prod: the address the alarms are sent to; "
                "pass -c alarm_email=ops@your-domain "
                "(make deploy: CDK_CONTEXT='-c alarm_email=...')"
            )
        return None
    if not _ADDRESS.match(value):
        raise ConfigError(f"alarm_email: expected an address like ops@example.com, got {value!r}")
    return value


def _matching(key: str, pattern: re.Pattern[str], what: str, raw: Any) -> str:
    value = str(raw).strip()
    if not pattern.match(value):
        raise ConfigError(f"{key}: expected {what}, got {value!r}")
    return value


def _bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    lowered = str(raw).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{key}: expected true or false, got {raw!r}")


def _positive_int(key: str, raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{key}: must be at least 1")
    return value


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
