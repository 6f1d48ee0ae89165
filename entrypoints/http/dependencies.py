"""Request-scoped dependencies: the services, the caller, and where the request came from."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from application.auth.authenticate import Principal
from application.context import ClientInfo
from domain.errors import CredentialsMissingError
from domain.users import User
from entrypoints.bootstrap import Services
from entrypoints.http.middleware import request_id_of

# Injected by parameter name (Litestar 3 drops inferred dependencies).
ServicesDep = NamedDependency[Services]
Caller = NamedDependency[Principal]
CurrentUser = NamedDependency[User]
Client = NamedDependency[ClientInfo]


async def provide_principal(request: Request[Any, Any, Any], services: ServicesDep) -> Principal:
    """The user and session of the bearer token, loaded once per request (the
    token-version check)."""
    state = request.scope.setdefault("state", {})
    principal: Principal | None = state.get("principal")
    if principal is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CredentialsMissingError
        principal = await services.authenticate.execute(token.strip())
        state["principal"] = principal
    return principal


async def provide_current_user(request: Request[Any, Any, Any], services: ServicesDep) -> User:
    """The user alone: most routes need no session id. Not built on `provide_principal`
    as a dependency (a second resolution step costs GET /me ~5 % of its throughput);
    both share the one authentication of the request."""
    return (await provide_principal(request, services)).user


def provide_client(request: Request[Any, Any, Any], services: ServicesDep) -> ClientInfo:
    return ClientInfo(
        ip=client_ip(request, services.settings.client_ip_header),
        user_agent=request.headers.get("user-agent", ""),
        request_id=request_id_of(request.scope),
    )


def client_ip(request: Request[Any, Any, Any], trusted_header: str = "") -> str:
    """The client's address for throttling: the socket peer (on Lambda, Mangum fills it
    from API Gateway's sourceIp), or `trusted_header` when a trusted proxy sets it (behind
    CloudFront the peer is CloudFront). Never X-Forwarded-For, which the client controls."""
    if trusted_header and (value := request.headers.get(trusted_header, "").strip()):
        return value[:64]
    return request.client.host if request.client else "unknown"
