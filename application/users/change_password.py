from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.audit.auditor import Auditor
from application.auth.secret_checks import Proof, SecretChecks
from application.context import NO_CLIENT, ClientInfo
from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.sessions.ending import SessionEnding
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.auth import PasswordPolicy
from domain.errors import FieldError, InvalidInputError
from domain.users import User


@dataclass(frozen=True, slots=True)
class ChangePasswordCommand:
    actor: User
    current_password: str
    new_password: str
    client: ClientInfo = NO_CLIENT
    # A code from the authenticator app (or a backup code), when two-factor is on.
    code: str | None = None


def with_new_password(user: User, new_hash: str, now: datetime, **changes: object) -> User:
    """The user with a new password hash and a new token version: every session and
    access token issued before stops working."""
    return user.with_new_credentials(now, password_hash=new_hash, **changes)


class ChangePassword:
    """A signed-in user replaces their password.

    Rules: the current password must verify, and a second-factor code too when
    two-factor is on (re-authentication, throttled and audited like every check of a
    secret: a stolen access token is no password oracle); the new one passes the policy
    and differs from the current one; afterwards every session and access token of the
    user ends, including one a sign-in racing the change was issuing.
    """

    def __init__(
        self,
        users: UserRepository,
        ending: SessionEnding,
        checks: SecretChecks,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        blocklist: PasswordBlocklist,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._auditor = auditor
        self._users = users
        self._ending = ending
        self._checks = checks
        self._hasher = hasher
        self._policy = policy
        self._blocklist = blocklist
        self._clock = clock

    async def execute(self, command: ChangePasswordCommand) -> None:
        user = command.actor
        proof = Proof(command.current_password, command.code)
        code = await self._checks.reauthenticate(user, proof, command.client, "change_password")
        self._policy.check(
            command.new_password,
            email=user.email.value,
            name=user.name,
            blocklist=self._blocklist,
            field="new_password",
        )
        if command.new_password == command.current_password:
            raise InvalidInputError(
                [FieldError("new_password", "Choose a password different from the current one.")]
            )
        new_hash = await self._hasher.hash(command.new_password)
        now = self._clock.now

        def changed(latest: User) -> User:
            totp = code.applied_to(latest.totp) if code else latest.totp
            return with_new_password(latest, new_hash, now(), totp=totp)

        await update_latest(self._users, user, changed)
        await self._ending.end_all(user.id)
        await self._auditor.record(
            AuditEventType.PASSWORD_CHANGED, user.id, command.client, actor_id=user.id
        )
