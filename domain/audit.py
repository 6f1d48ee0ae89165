"""The audit trail: what happened to an account, by whom, from where. Never secrets."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


class AuditEventType(enum.StrEnum):
    SIGN_UP = "sign_up"
    SIGN_IN_SUCCEEDED = "sign_in.succeeded"
    SIGN_IN_FAILED = "sign_in.failed"
    SIGN_IN_CHALLENGED = "sign_in.challenged"
    TWO_FACTOR_FAILED = "two_factor.failed"
    # A wrong password or code from a signed-in caller (details: the operation).
    REAUTHENTICATION_FAILED = "reauthentication.failed"
    REFRESH_REUSED = "refresh.reused"
    SESSION_REVOKED = "session.revoked"
    OTHER_SESSIONS_REVOKED = "session.others_revoked"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET_REQUESTED = "password.reset_requested"
    PASSWORD_RESET = "password.reset"
    EMAIL_VERIFIED = "email.verified"
    EMAIL_CHANGED = "email.changed"
    TWO_FACTOR_ENABLED = "two_factor.enabled"
    TWO_FACTOR_DISABLED = "two_factor.disabled"
    BACKUP_CODE_USED = "two_factor.backup_code_used"
    USER_CREATED = "user.created"
    ROLE_CHANGED = "user.role_changed"
    USER_DELETED = "user.deleted"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the append-only trail.

    `user_id` is the account the event is about; `actor_id` who caused it (the same
    user, an admin, or None for the system). `details` holds small, non-secret facts
    (a role change's from/to, a session id).
    """

    id: str
    type: AuditEventType
    at: datetime
    user_id: str
    actor_id: str | None
    ip: str
    request_id: str
    user_agent: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
