"""The composition root: settings in, wired use cases out. Nothing happens at import."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, Protocol

from adapters.memory import InMemoryStoreProbe
from adapters.memory.sessions import InMemoryRefreshSessionRepository
from adapters.memory.throttles import InMemoryThrottleRepository
from adapters.memory.users import InMemoryUserRepository
from adapters.security.argon2_hasher import Argon2Params, Argon2PasswordHasher
from adapters.security.blocklist import ZxcvbnPasswordBlocklist
from adapters.security.jwt_tokens import JwtConfig, JwtTokenIssuer
from adapters.system import RandomIdGenerator, SystemClock
from application.auth.authenticate import Authenticate
from application.auth.refresh import Refresh
from application.auth.sessions import SessionIssuer, SessionLifetimes
from application.auth.sign_in import SignIn, SignInThrottling
from application.auth.sign_out import SignOut
from application.auth.sign_up import SignUp
from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock, IdGenerator, StoreProbe
from application.ports.throttle_repository import ThrottleRepository
from application.ports.user_repository import UserRepository
from application.users.change_password import ChangePassword
from application.users.create_user import CreateUser, UserFactory
from application.users.delete_user import DeleteUser
from application.users.get_user import GetUser
from application.users.list_users import ListUsers
from application.users.update_user import UpdateUser
from domain.auth import PasswordPolicy, ThrottlePolicy
from entrypoints.settings import Settings, SettingsError


class Closable(Protocol):
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Adapters:
    """The driven side: one object per port."""

    users: UserRepository
    sessions: RefreshSessionRepository
    throttles: ThrottleRepository
    hasher: PasswordHasher
    tokens: JwtTokenIssuer
    blocklist: PasswordBlocklist
    clock: Clock
    ids: IdGenerator
    store: StoreProbe
    # The Mongo client owner when storage is MongoDB (closed on shutdown), else None.
    mongo: Closable | None = None


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the driving adapters (HTTP, CLI) need."""

    settings: Settings
    adapters: Adapters
    sign_up: SignUp
    sign_in: SignIn
    refresh: Refresh
    sign_out: SignOut
    authenticate: Authenticate
    change_password: ChangePassword
    create_user: CreateUser
    get_user: GetUser
    list_users: ListUsers
    update_user: UpdateUser
    delete_user: DeleteUser
    user_factory: UserFactory

    async def close(self) -> None:
        """Release connections (the Mongo client); the process is about to end."""
        if self.adapters.mongo is not None:
            await self.adapters.mongo.close()


def build_adapters(settings: Settings, **overrides: Any) -> Adapters:
    """Real adapters from settings; `overrides` replaces any of them by field name."""
    unknown = set(overrides) - {f.name for f in fields(Adapters)}
    if unknown:
        raise TypeError(f"unknown adapter overrides: {sorted(unknown)}")

    def pick(name: str, make: Any) -> Any:
        return overrides[name] if name in overrides else make()

    try:
        stores = _stores(settings)
        return Adapters(
            users=pick("users", lambda: stores["users"]),
            sessions=pick("sessions", lambda: stores["sessions"]),
            throttles=pick("throttles", lambda: stores["throttles"]),
            hasher=pick("hasher", lambda: _hasher(settings)),
            tokens=pick("tokens", lambda: JwtTokenIssuer(_jwt_config(settings))),
            blocklist=pick("blocklist", ZxcvbnPasswordBlocklist),
            clock=pick("clock", SystemClock),
            ids=pick("ids", RandomIdGenerator),
            store=pick("store", lambda: stores["store"]),
            mongo=pick("mongo", lambda: stores.get("mongo")),
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _stores(settings: Settings) -> dict[str, Any]:
    """The repositories of the configured storage (built lazily: no I/O here)."""
    if settings.storage == "memory":
        return {
            "users": InMemoryUserRepository(),
            "sessions": InMemoryRefreshSessionRepository(),
            "throttles": InMemoryThrottleRepository(),
            "store": InMemoryStoreProbe(),
        }
    if settings.storage == "embedded" or not settings.mongodb_uri:
        # The embedded server is a child process owned by the CLI (`app serve`), which
        # hands its URI over as MONGODB_URI; a bare worker cannot own its lifetime.
        raise SettingsError(
            "APP_STORAGE=embedded is started by `app serve`; set MONGODB_URI otherwise"
        )
    # Imported here: the driver costs ~70 ms of cold start that memory storage never needs.
    from adapters.mongo.connection import MongoConfig, MongoConnection
    from adapters.mongo.probe import MongoStoreProbe
    from adapters.mongo.sessions import MongoRefreshSessionRepository
    from adapters.mongo.throttles import MongoThrottleRepository
    from adapters.mongo.users import MongoUserRepository

    connection = MongoConnection(
        MongoConfig(
            uri=settings.mongodb_uri,
            database=settings.mongodb_database,
            driver=settings.mongodb_driver,
            server_selection_timeout_ms=settings.mongodb_server_selection_timeout_ms,
            timeout_ms=settings.mongodb_timeout_ms,
            max_pool_size=settings.mongodb_max_pool_size,
        )
    )
    return {
        "users": MongoUserRepository(connection),
        "sessions": MongoRefreshSessionRepository(connection),
        "throttles": MongoThrottleRepository(connection),
        "store": MongoStoreProbe(connection),
        "mongo": connection,
    }


def _hasher(settings: Settings) -> Argon2PasswordHasher:
    params = Argon2Params(
        memory_kib=settings.argon2_memory_kib,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
    )
    return Argon2PasswordHasher(
        params, settings.hasher_max_concurrency, settings.hasher_queue_timeout_seconds
    )


def _jwt_config(settings: Settings) -> JwtConfig:
    return JwtConfig(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        algorithm=settings.jwt_algorithm,
        secret=settings.jwt_secret,
        signing_kid=settings.jwt_signing_kid,
        private_key_pem=settings.jwt_private_key,
        public_keys_pem=settings.jwt_public_keys,
    )


def build_services(settings: Settings, **overrides: Any) -> Services:
    a = build_adapters(settings, **overrides)
    try:
        policy = PasswordPolicy(min_length=settings.password_min_length)
    except ValueError as exc:
        raise SettingsError(f"PASSWORD_MIN_LENGTH: {exc}") from None
    lifetimes = SessionLifetimes(
        idle=timedelta(seconds=settings.refresh_idle_ttl_seconds),
        absolute=timedelta(seconds=settings.refresh_absolute_ttl_seconds),
        reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )
    window = timedelta(seconds=settings.sign_in_window_seconds)
    throttling = SignInThrottling(
        per_account=ThrottlePolicy(settings.sign_in_free_attempts_per_account, window),
        per_ip=ThrottlePolicy(settings.sign_in_free_attempts_per_ip, window),
    )
    issuer = SessionIssuer(a.sessions, a.tokens, a.ids, lifetimes)
    factory = UserFactory(a.users, a.hasher, policy, a.blocklist, a.clock, a.ids)
    return Services(
        settings=settings,
        adapters=a,
        sign_up=SignUp(factory, issuer),
        sign_in=SignIn(a.users, a.hasher, a.throttles, throttling, issuer, a.clock),
        refresh=Refresh(a.users, a.sessions, issuer, a.clock),
        sign_out=SignOut(a.sessions),
        authenticate=Authenticate(a.users, a.tokens),
        change_password=ChangePassword(a.users, a.sessions, a.hasher, policy, a.blocklist, a.clock),
        create_user=CreateUser(factory),
        get_user=GetUser(a.users),
        list_users=ListUsers(a.users),
        update_user=UpdateUser(a.users, a.clock),
        delete_user=DeleteUser(a.users, a.sessions),
        user_factory=factory,
    )
