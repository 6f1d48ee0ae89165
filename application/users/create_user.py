from __future__ import annotations

from dataclasses import dataclass, replace

from application.audit.auditor import Auditor
from application.auth.email_links import LinkMailer
from application.context import NO_CLIENT, ClientInfo
from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.system import Clock, IdGenerator
from application.ports.user_repository import UserRepository
from application.users.access import require_admin
from domain.audit import AuditEventType
from domain.auth import PasswordPolicy
from domain.errors import EmailTakenError
from domain.users import Email, Role, User, normalize_name


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    password: str
    name: str
    role: Role = Role.USER
    # Only for accounts made by an operator who vouches for the address (the CLI).
    email_verified: bool = False


class UserFactory:
    """Validates, hashes and stores a new user in one step, so no half-created user exists:
    the user document carries its password hash and is written once.

    A taken address is refused before the password is hashed: sign-up says "taken"
    anyway (409), so the check reveals nothing, and requests that cannot succeed must
    not occupy the hasher that sign-ins share. The store's unique index still decides
    between concurrent sign-ups of a new address.
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        blocklist: PasswordBlocklist,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._policy = policy
        self._blocklist = blocklist
        self._clock = clock
        self._ids = ids

    async def create(self, new: NewUser) -> User:
        email = Email(new.email)
        name = normalize_name(new.name)
        self._policy.check(new.password, email=email.value, name=name, blocklist=self._blocklist)
        if await self._users.get_by_email(email) is not None:
            raise EmailTakenError
        password_hash = await self._hasher.hash(new.password)
        now = self._clock.now()
        user = User(
            id=self._ids.new_id(),
            email=email,
            name=name,
            role=new.role,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            email_verified=new.email_verified,
        )
        await self._users.add(user)
        return user


@dataclass(frozen=True, slots=True)
class CreateUserCommand:
    actor: User
    new_user: NewUser
    client: ClientInfo = NO_CLIENT


class CreateUser:
    """An admin creates an account with any role; same validation as sign-up. The
    address is unverified until its owner follows the link sent to it."""

    def __init__(self, factory: UserFactory, mailer: LinkMailer, auditor: Auditor) -> None:
        self._factory = factory
        self._mailer = mailer
        self._auditor = auditor

    async def execute(self, command: CreateUserCommand) -> User:
        require_admin(command.actor)
        new = replace(command.new_user, email_verified=False)
        user = await self._factory.create(new)
        await self._mailer.send_verification(user, user.created_at)
        await self._auditor.record(
            AuditEventType.USER_CREATED,
            user.id,
            command.client,
            actor_id=command.actor.id,
            role=user.role.value,
        )
        return user
