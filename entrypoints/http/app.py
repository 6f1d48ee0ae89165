"""`create_app(services)`: the one Litestar app behind the local server and Lambda."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from entrypoints.bootstrap import Services
from entrypoints.http.account import AccountController, AuditController
from entrypoints.http.auth import AuthController
from entrypoints.http.dependencies import provide_client
from entrypoints.http.docs import SelfHostedScalar
from entrypoints.http.early_checks import with_early_checks
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.health import HealthController
from entrypoints.http.json_body import JsonRequest
from entrypoints.http.middleware import add_security_headers
from entrypoints.http.openapi import StrictStructSchemaPlugin
from entrypoints.http.options import fix_allow_header
from entrypoints.http.recovery import RecoveryController
from entrypoints.http.static import frontend_dir, frontend_routes
from entrypoints.http.telemetry import instrument
from entrypoints.http.users import UsersController

API_VERSION = "1.0.0"
# Deployed stages sit behind CloudFront, which serves the site's /schema/assets/ itself.
DEPLOYED = frozenset({"dev", "prod"})


def openapi_config(environment: str) -> OpenAPIConfig:
    site = frontend_dir()
    docs = SelfHostedScalar(
        assets=site / "schema" / "assets" if site is not None else None,
        hosted=environment in DEPLOYED,
    )
    return OpenAPIConfig(
        title="Serverless Auth API",
        version=API_VERSION,
        description="Sign-up, sign-in with optional two-factor, refresh-token rotation, "
        "email verification, password reset, sessions, audit trail and user management.",
        path="/schema",
        render_plugins=[docs],
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )


def create_app(services: Services) -> Litestar:
    app = Litestar(
        # The built frontend at `/` when frontend/out exists (never on Lambda).
        route_handlers=[
            AuthController,
            RecoveryController,
            UsersController,
            AccountController,
            AuditController,
            HealthController,
            *frontend_routes(),
        ],
        dependencies={
            "services": Provide(lambda: services, use_cache=True, sync_to_thread=False),
            "client": Provide(provide_client, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[add_security_headers, fix_allow_header],
        plugins=[StrictStructSchemaPlugin()],
        openapi_config=openapi_config(services.settings.environment),
        request_max_body_size=services.settings.max_body_bytes,
        request_class=JsonRequest,
        on_shutdown=[services.close],
        logging_config=None,
        debug=False,
    )
    # Malformed request lines and framing never reach the router; then, around everything
    # (their answers too), the request span, access log line and request metrics.
    return instrument(with_early_checks(app), services.adapters.tracer, services.adapters.metrics)
