"""Every metric of the catalog is emitted by the running service (and so every metric
a dashboard panel queries, see tests/unit/observability/test_catalog.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from domain.errors import ServiceBusyError
from entrypoints.bootstrap import build_services
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from observability import catalog
from observability.metrics import EmfMetrics
from tests.fakes import FixedClock, PlainPasswordHasher, SequentialIds
from tests.unit.observability.emf_spec import emf_lines, metric_names

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PASSWORD = "velvet harbor quantum meadow"
AUTH = "/api/v1/auth"


class SwitchableHasher(PlainPasswordHasher):
    """The fast test hasher, which can be made to behave as a saturated one."""

    busy = False

    async def verify(self, password_hash: str, password: str) -> bool:
        if self.busy:
            raise ServiceBusyError(2)
        return await super().verify(password_hash, password)


async def test_a_session_of_sign_ups_sign_ins_refreshes_and_failures_emits_every_catalog_metric(
    settings: Settings,
) -> None:
    out, clock, hasher = io.StringIO(), FixedClock(), SwitchableHasher()
    metrics = EmfMetrics(settings.metrics_namespace, "auth-test", stream=out)
    services = build_services(
        settings, clock=clock, ids=SequentialIds(), hasher=hasher, metrics=metrics
    )
    statuses: list[int] = []
    async with AsyncTestClient(create_app(services)) as client:

        async def post(path: str, body: dict[str, str]) -> Any:
            response = await client.post(f"{AUTH}/{path}", json=body)
            statuses.append(response.status_code)
            return response

        for email in ("ann@example.com", "bob@example.com"):
            await post("sign-up", {"email": email, "password": PASSWORD, "name": "A"})
        good = {"email": "ann@example.com", "password": PASSWORD}
        tokens = (await post("sign-in", good)).json()
        for _ in range(7):
            await post("sign-in", {**good, "password": "wrong wrong wrong wrong"})
        await post("refresh", {"refresh_token": tokens["refresh_token"]})
        clock.advance(seconds=60)
        await post("refresh", {"refresh_token": tokens["refresh_token"]})
        hasher.busy = True
        await post("sign-in", {"email": "bob@example.com", "password": PASSWORD})

    assert {201, 200, 401, 429, 503} <= set(statuses)
    documents = emf_lines(out.getvalue())
    assert len(documents) == len(statuses)  # one line per request
    assert metric_names(documents) == {metric.name for metric in catalog.METRICS}
    outcomes = {d["Outcome"] for d in documents if "SignIns" in d}
    assert outcomes == {"success", "invalid_credentials", "throttled", "busy"}
    assert {d["Outcome"] for d in documents if "Refreshes" in d} == {"success", "reuse_detected"}
