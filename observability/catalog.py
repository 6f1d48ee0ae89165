"""The single list of our telemetry names: EMF metrics (name, unit, dimension sets) and
CloudWatch Logs Insights queries. `observability/metrics.py` emits exactly these and the
Grafana dashboards are built from them; a test proves the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "ServerlessAuth"

# Dimension names (root members of every EMF line that carries them).
SERVICE = "Service"
ROUTE = "Route"
STATUS_CLASS = "StatusClass"
OUTCOME = "Outcome"

# Names of the use cases, as the composition root gives them to `Traced`.
SIGN_UP = "sign_up"
SIGN_IN = "sign_in"
REFRESH = "refresh"
SIGN_OUT = "sign_out"
AUTHENTICATE = "authenticate"
CHANGE_PASSWORD = "change_password"
CREATE_USER = "create_user"
GET_USER = "get_user"
LIST_USERS = "list_users"
UPDATE_USER = "update_user"
DELETE_USER = "delete_user"
SIGN_IN_TWO_FACTOR = "sign_in_two_factor"
VERIFY_EMAIL = "verify_email"
RESEND_VERIFICATION = "resend_verification"
REQUEST_PASSWORD_RESET = "request_password_reset"
CONFIRM_PASSWORD_RESET = "confirm_password_reset"
LIST_SESSIONS = "list_sessions"
REVOKE_SESSION = "revoke_session"
REVOKE_OTHER_SESSIONS = "revoke_other_sessions"
ENROLL_TWO_FACTOR = "enroll_two_factor"
CONFIRM_TWO_FACTOR = "confirm_two_factor"
DISABLE_TWO_FACTOR = "disable_two_factor"
LIST_AUDIT_EVENTS = "list_audit_events"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: str  # a CloudWatch unit name, as EMF spells it
    dimension_sets: tuple[tuple[str, ...], ...]
    description: str

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Every dimension any of its sets uses, in first-seen order."""
        return tuple(dict.fromkeys(d for s in self.dimension_sets for d in s))


BY_ROUTE = ((SERVICE, ROUTE, STATUS_CLASS), (SERVICE,))
REQUESTS = Metric("Requests", "Count", BY_ROUTE, "HTTP requests served")
LATENCY = Metric("Latency", "Milliseconds", BY_ROUTE, "time to serve an HTTP request")
THROTTLED = Metric("ThrottledRequests", "Count", ((SERVICE,),), "requests answered 429")
SIGN_UPS = Metric("SignUps", "Count", ((SERVICE,),), "accounts opened")
SIGN_INS = Metric("SignIns", "Count", ((SERVICE, OUTCOME),), "sign-in attempts by outcome")
REFRESHES = Metric("Refreshes", "Count", ((SERVICE, OUTCOME),), "refresh attempts by outcome")
REFRESH_REUSE = Metric(
    "RefreshReuseDetected", "Count", ((SERVICE,),), "spent refresh tokens presented again"
)
HASHER_SATURATED = Metric(
    "HasherSaturated", "Count", ((SERVICE,),), "requests refused: password hasher saturated"
)

METRICS: tuple[Metric, ...] = (
    REQUESTS,
    LATENCY,
    THROTTLED,
    SIGN_UPS,
    SIGN_INS,
    REFRESHES,
    REFRESH_REUSE,
    HASHER_SATURATED,
)

# Use-case outcomes ("ok" or a DomainError class name) as bounded dimension values.
OUTCOME_LABELS = {
    "ok": "success",
    "InvalidCredentialsError": "invalid_credentials",
    "TooManyAttemptsError": "throttled",
    "ServiceBusyError": "busy",
    "StoreUnavailableError": "store_unavailable",
    "AuthenticationError": "invalid_token",
    "RefreshReuseError": "reuse_detected",
    "InvalidCodeError": "invalid_code",
    "EmailNotVerifiedError": "email_unverified",
    "InvalidInputError": "invalid_input",
    "error": "error",
}


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, "other")


@dataclass(frozen=True, slots=True)
class LogQuery:
    key: str
    title: str
    query: str


# Fields are those of observability/logging.py (JSON lines) and of Lambda's REPORT lines.
ERRORS_QUERY = LogQuery(
    "errors",
    "Errors (with request and trace ids)",
    "fields @timestamp, event, route, status, request_id, trace_id, exception"
    ' | filter level = "error" or status >= 500'
    " | sort @timestamp desc | limit 100",
)
COLD_STARTS_QUERY = LogQuery(
    "cold_starts",
    "Cold starts (Lambda init duration)",
    'filter @type = "REPORT" and ispresent(@initDuration)'
    " | stats count(*) as cold_starts, avg(@initDuration) as avg_init_ms,"
    " max(@initDuration) as max_init_ms by bin(5m)",
)
SLOW_ROUTES_QUERY = LogQuery(
    "slow_routes",
    "Slowest routes (access log)",
    'filter event = "request"'
    " | stats count(*) as requests, pct(duration_ms, 50) as p50_ms,"
    " pct(duration_ms, 99) as p99_ms by method, route"
    " | sort p99_ms desc | limit 20",
)

LOG_QUERIES: tuple[LogQuery, ...] = (ERRORS_QUERY, COLD_STARTS_QUERY, SLOW_ROUTES_QUERY)
