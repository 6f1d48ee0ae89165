"""Liveness, readiness and the public keys of token signing."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get

from entrypoints.http.dependencies import ServicesDep
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import HealthOut


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012

    @get("/health", operation_id="health")
    async def health(self) -> HealthOut:
        """Liveness: the process answers. No I/O."""
        return HealthOut("ok")

    @get("/health/ready", operation_id="ready", responses=problems(503))
    async def ready(self, services: ServicesDep) -> HealthOut:
        """Readiness: the store answers a ping within its timeout, else 503."""
        await services.adapters.store.ping()
        return HealthOut("ok")

    @get("/.well-known/jwks.json", operation_id="jwks")
    async def jwks(self, services: ServicesDep) -> dict[str, Any]:
        """Public keys that verify access tokens (EdDSA); empty with HS256."""
        return services.adapters.tokens.jwks()
