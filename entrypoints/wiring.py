"""The driven side of the composition root: one real adapter per port, picked from the
settings (storage, email, tracing, metrics, hashing, tokens). Nothing happens at import:
the store drivers and SDKs are imported only when chosen."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from adapters.memory import InMemoryStoreProbe
from adapters.memory.audit import InMemoryAuditLog
from adapters.memory.one_time_tokens import InMemoryOneTimeTokenRepository
from adapters.memory.sessions import InMemoryRefreshSessionRepository
from adapters.memory.throttles import InMemoryThrottleRepository
from adapters.memory.users import InMemoryUserRepository
from adapters.security.argon2_hasher import Argon2Params, Argon2PasswordHasher
from adapters.security.blocklist import CommonPasswordBlocklist
from adapters.security.jwt_tokens import JwtConfig, JwtTokenIssuer
from adapters.security.pseudonyms import HmacPseudonyms
from adapters.security.totp import PyOtpOneTimePasswords
from adapters.system import RandomIdGenerator, SystemClock
from application.ports.audit_log import AuditLog
from application.ports.email_sender import EmailSender
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.one_time_token_repository import OneTimeTokenRepository
from application.ports.password_blocklist import PasswordBlocklist
from application.ports.password_hasher import PasswordHasher
from application.ports.pseudonyms import Pseudonyms
from application.ports.refresh_session_repository import RefreshSessionRepository
from application.ports.system import Clock, IdGenerator, StoreProbe
from application.ports.throttle_repository import ThrottleRepository
from application.ports.user_repository import UserRepository
from entrypoints.settings import Settings, SettingsError
from observability.metrics import EmfMetrics, NoopMetrics, RequestMetrics
from observability.tracing import RequestTracer, TracerConfig, build_tracer


class Closable(Protocol):
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Adapters:
    """The driven side: one object per port."""

    users: UserRepository
    sessions: RefreshSessionRepository
    throttles: ThrottleRepository
    one_time_tokens: OneTimeTokenRepository
    audit: AuditLog
    email: EmailSender
    otp: OneTimePasswords
    hasher: PasswordHasher
    tokens: JwtTokenIssuer
    blocklist: PasswordBlocklist
    pseudonyms: Pseudonyms
    clock: Clock
    ids: IdGenerator
    store: StoreProbe
    tracer: RequestTracer
    metrics: RequestMetrics
    # The Mongo client owner when storage is MongoDB (closed on shutdown), else None.
    mongo: Closable | None = None


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
            one_time_tokens=pick("one_time_tokens", lambda: stores["one_time_tokens"]),
            audit=pick("audit", lambda: stores["audit"]),
            email=pick("email", lambda: _email(settings)),
            otp=pick("otp", PyOtpOneTimePasswords),
            hasher=pick("hasher", lambda: _hasher(settings)),
            tokens=pick("tokens", lambda: JwtTokenIssuer(_jwt_config(settings))),
            blocklist=pick("blocklist", CommonPasswordBlocklist),
            pseudonyms=pick(
                "pseudonyms", lambda: HmacPseudonyms(settings.identifier_hmac_key.encode())
            ),
            clock=pick("clock", SystemClock),
            ids=pick("ids", RandomIdGenerator),
            store=pick("store", lambda: stores["store"]),
            tracer=pick("tracer", lambda: _tracer(settings)),
            metrics=pick("metrics", lambda: _metrics(settings)),
            mongo=pick("mongo", lambda: stores.get("mongo")),
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _stores(settings: Settings) -> dict[str, Any]:
    """The repositories of the configured storage (built lazily: no I/O here)."""
    retention = timedelta(days=settings.audit_retention_days)
    if settings.storage == "memory":
        return {
            "users": InMemoryUserRepository(),
            "sessions": InMemoryRefreshSessionRepository(),
            "throttles": InMemoryThrottleRepository(),
            "one_time_tokens": InMemoryOneTimeTokenRepository(),
            "audit": InMemoryAuditLog(retention),
            "store": InMemoryStoreProbe(),
        }
    if settings.storage == "embedded" or not settings.mongodb_uri:
        # The embedded server is a child process owned by the CLI (`app serve`), which
        # hands its URI over as MONGODB_URI; a bare worker cannot own its lifetime.
        raise SettingsError(
            "APP_STORAGE=embedded is started by `app serve`; set MONGODB_URI otherwise"
        )
    # Imported here: the driver costs ~70 ms of cold start that memory storage never needs.
    from adapters.mongo.audit import MongoAuditLog
    from adapters.mongo.connection import MongoConfig, MongoConnection
    from adapters.mongo.one_time_tokens import MongoOneTimeTokenRepository
    from adapters.mongo.probe import MongoStoreProbe
    from adapters.mongo.sessions import MongoRefreshSessionRepository
    from adapters.mongo.throttles import MongoThrottleRepository
    from adapters.mongo.users import MongoUserRepository
    from adapters.security.kms_keys import KmsKeyWrapper
    from adapters.security.local_keys import LocalKeyWrapper
    from adapters.security.sealing import EnvelopeSealer, KeyWrapper

    # Secrets at rest: data keys wrapped by KMS when a key is configured, else by the local
    # key file; previous keys only open what was sealed before a rotation.
    current: KeyWrapper = (
        KmsKeyWrapper(settings.kms_key_id)
        if settings.kms_key_id
        else LocalKeyWrapper(Path(settings.secrets_key_file))
    )
    previous: list[KeyWrapper] = [KmsKeyWrapper(arn) for arn in settings.kms_previous_key_ids]
    previous += [
        LocalKeyWrapper(Path(f), create=False) for f in settings.secrets_previous_key_files
    ]
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
        "users": MongoUserRepository(connection, EnvelopeSealer(current, previous)),
        "sessions": MongoRefreshSessionRepository(connection),
        "throttles": MongoThrottleRepository(connection),
        "one_time_tokens": MongoOneTimeTokenRepository(connection),
        "audit": MongoAuditLog(connection, retention),
        "store": MongoStoreProbe(connection),
        "mongo": connection,
    }


def _email(settings: Settings) -> EmailSender:
    if settings.email_backend == "ses":
        from adapters.email.ses import SesEmailSender

        return SesEmailSender(
            settings.email_from, configuration_set=settings.ses_configuration_set or None
        )
    from adapters.email.console import ConsoleEmailSender

    return ConsoleEmailSender()


def _tracer(settings: Settings) -> RequestTracer:
    # Only the selected tracer's SDK is imported: with TRACER=none, none is.
    return build_tracer(
        TracerConfig(
            kind=settings.tracer,
            service_name=settings.service_name,
            instrument_mongo=settings.storage != "memory",
            otel_exporter=settings.otel_exporter,
            otel_endpoint=settings.otel_endpoint,
        )
    )


def _metrics(settings: Settings) -> RequestMetrics:
    if settings.metrics == "emf":
        return EmfMetrics(settings.metrics_namespace, settings.service_name)
    return NoopMetrics()


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
