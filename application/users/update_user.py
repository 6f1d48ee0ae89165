from __future__ import annotations

from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.email_links import LinkMailer
from application.context import NO_CLIENT, ClientInfo
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.users.access import ensure_not_last_admin, load_visible, undo_if_no_admin_left
from domain.audit import AuditEventType
from domain.errors import (
    FieldError,
    InvalidCredentialsError,
    InvalidInputError,
    PermissionDeniedError,
    StaleVersionError,
)
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
    client: ClientInfo = NO_CLIENT


class UpdateUser:
    """Change name, email or role of a user.

    Rules: self or admin (others get 'not found'); only an admin sets `role`, and not
    so as to leave no admin; the caller must name the version it read, and a write
    based on an older version fails (no lost update, enforced by the store as well);
    the email stays unique, and a new one is unverified until its owner follows the link
    sent to it. Users changing their own address give their current password: the
    address is where password resets go, so an access token alone (stolen, or a
    browser left signed in) must not be able to redirect them. The old address is told.
    """

    def __init__(
        self,
        users: UserRepository,
        clock: Clock,
        mailer: LinkMailer,
        auditor: Auditor,
        hasher: PasswordHasher,
    ) -> None:
        self._hasher = hasher
        self._users = users
        self._clock = clock
        self._mailer = mailer
        self._auditor = auditor

    async def execute(self, command: UpdateUserCommand) -> User:
        target = await load_visible(self._users, command.actor, command.user_id)
        if command.role is not None and not command.actor.is_admin:
            raise PermissionDeniedError("Only an admin may change a role.")
        if target.version != command.expected_version:
            raise StaleVersionError
        changes: dict[str, object] = {}
        if command.name is not None:
            changes["name"] = normalize_name(command.name)
        if command.email is not None and Email(command.email) != target.email:
            if target.id == command.actor.id:
                await self._reauthenticate(target, command.current_password)
            changes["email"] = Email(command.email)
            changes["email_verified"] = False
        if command.role is not None and command.role is not target.role:
            if command.role is not Role.ADMIN:
                await ensure_not_last_admin(self._users, target)
            changes["role"] = command.role
        if not changes:
            return target
        updated = target.changed(self._clock.now(), **changes)
        await self._users.update(updated, expected_version=command.expected_version)
        if target.is_admin and not updated.is_admin:
            restored = updated.changed(self._clock.now(), role=Role.ADMIN)
            await undo_if_no_admin_left(
                self._users, lambda: self._users.update(restored, expected_version=updated.version)
            )
        await self._record(command, target, updated)
        return updated

    async def _reauthenticate(self, user: User, password: str | None) -> None:
        if not password:
            raise InvalidInputError(
                [
                    FieldError(
                        "current_password", "Enter your current password to change your email."
                    )
                ]
            )
        if not await self._hasher.verify(user.password_hash, password):
            raise InvalidCredentialsError("The current password is incorrect.")

    async def _record(self, command: UpdateUserCommand, before: User, after: User) -> None:
        actor, client = command.actor.id, command.client
        if after.email != before.email:
            await self._mailer.send_verification(after, after.updated_at)
            await self._mailer.send_email_changed(after, before.email.value)
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
