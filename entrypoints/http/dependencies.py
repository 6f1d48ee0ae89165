"""Request-scoped dependencies: the services and the authenticated user."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from domain.errors import CredentialsMissingError
from domain.users import User
from entrypoints.bootstrap import Services

# Injected by parameter name (Litestar 3 drops inferred dependencies).
ServicesDep = NamedDependency[Services]
CurrentUser = NamedDependency[User]


async def provide_current_user(request: Request[Any, Any, Any], services: ServicesDep) -> User:
    """The user of the bearer token, loaded once per request (the token-version check)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CredentialsMissingError
    return await services.authenticate.execute(token.strip())


def client_ip(request: Request[Any, Any, Any], trusted_header: str = "") -> str:
    """The client's address for throttling: the socket peer (on Lambda, Mangum fills it
    from API Gateway's sourceIp), or `trusted_header` when a trusted proxy sets it (behind
    CloudFront the peer is CloudFront). Never X-Forwarded-For, which the client controls."""
    if trusted_header and (value := request.headers.get(trusted_header, "").strip()):
        return value[:64]
    return request.client.host if request.client else "unknown"
