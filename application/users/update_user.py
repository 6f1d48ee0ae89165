from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.email_links import LinkMailer
from application.auth.secret_checks import Proof, SecretChecks
from application.context import NO_CLIENT, ClientInfo
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.sessions.ending import SessionEnding
from application.users.access import ensure_not_last_admin, load_visible, undo_if_no_admin_left
from domain.audit import AuditEventType
from domain.errors import PermissionDeniedError, StaleVersionError
from domain.users import Email, Role, User, normalize_name


@dataclass(frozen=True, slots=True)
class UpdateUserCommand:
    actor: User
    user_id: str
    expected_version: int
    name: str | None = None
    email: str | None = None
    role: Role | None = None
    # Asked again when users change their own address (see `UpdateUser`).
    current_password: str | None = None
    code: str | None = None
    client: ClientInfo = NO_CLIENT


class UpdateUser:
    """Change name, email or role of a user.

    Rules: self or admin (others get 'not found'); only an admin sets `role`, and not
    so as to leave no admin; the caller must name the version it read, and a write
    based on an older version fails (no lost update, enforced by the store as well);
    the email stays unique, and a new one is unverified until its owner follows the link
    sent to it. Users changing their own address re-authenticate (current password, and
    a code when two-factor is on; throttled and audited): the address is where password
    resets go, so an access token alone (stolen, or a browser left signed in) must not
    be able to redirect them. The old address is told, and both mails must be within
    their limits, or the change is refused (429) rather than made silently. A role
    change is a credential change for the user: the role is in their access tokens, so
    every session of theirs ends.
    """

    def __init__(
        self,
        users: UserRepository,
        clock: Clock,
        mailer: LinkMailer,
        auditor: Auditor,
        checks: SecretChecks,
        ending: SessionEnding,
    ) -> None:
        self._users = users
        self._clock = clock
        self._mailer = mailer
        self._auditor = auditor
        self._checks = checks
        self._ending = ending

    async def execute(self, command: UpdateUserCommand) -> User:
        target = await load_visible(self._users, command.actor, command.user_id)
        if command.role is not None and not command.actor.is_admin:
            raise PermissionDeniedError("Only an admin may change a role.")
        if target.version != command.expected_version:
            raise StaleVersionError
        changes: dict[str, object] = {}
        if command.name is not None:
            changes["name"] = normalize_name(command.name)
        new_email = None if command.email is None else Email(command.email)
        if new_email is not None and new_email != target.email:
            if target.id == command.actor.id:
                proof = Proof(command.current_password, command.code)
                code = await self._checks.reauthenticate(
                    target, proof, command.client, "change_email"
                )
                if code is not None:
                    changes["totp"] = code.applied_to(target.totp)
            now = self._clock.now()
            await self._mailer.budget.check(target.id, [new_email.value, target.email.value], now)
            changes["email"] = new_email
            changes["email_verified"] = False
        if command.role is not None and command.role is not target.role:
            if command.role is not Role.ADMIN:
                await ensure_not_last_admin(self._users, target)
            changes["role"] = command.role
        if not changes:
            return target
        now = self._clock.now()
        if "role" in changes:
            updated = target.with_new_credentials(now, **changes)
        else:
            updated = target.changed(now, **changes)
        await self._users.update(updated, expected_version=command.expected_version)
        if target.is_admin and not updated.is_admin:
            # Undone whole: the sessions the demotion would have ended live on.
            restored = updated.changed(
                self._clock.now(), role=Role.ADMIN, token_version=target.token_version
            )
            await undo_if_no_admin_left(
                self._users, lambda: self._users.update(restored, expected_version=updated.version)
            )
        if updated.token_version != target.token_version:
            await self._ending.end_all(updated.id)
        await self._record(command, target, updated)
        return updated

    async def _record(self, command: UpdateUserCommand, before: User, after: User) -> None:
        actor, client = command.actor.id, command.client
        if after.email != before.email:
            await self._mailer.send_verification(after, after.updated_at)
            await self._mailer.send_email_changed(after, before.email.value, after.updated_at)
            await self._auditor.record(
                AuditEventType.EMAIL_CHANGED, after.id, client, actor_id=actor
            )
        if after.role is not before.role:
            await self._auditor.record(
                AuditEventType.ROLE_CHANGED,
                after.id,
                client,
                actor_id=actor,
                **{"from": before.role.value, "to": after.role.value},
            )
