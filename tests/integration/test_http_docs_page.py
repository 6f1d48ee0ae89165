"""The API reference at `/schema` loads nothing from another origin (issue 13): its
script comes from the frontend export (`out/schema/assets/`, served by the app), the page
has no inline script and a policy of its own, and without the export it says how to
build it. `/schema/openapi.json` is unchanged (Litestar's own JSON rendering)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from litestar.serialization import encode_json
from litestar.testing import AsyncTestClient

from adapters.email.memory import InMemoryEmailSender
from entrypoints.bootstrap import Services, build_services
from entrypoints.http.app import create_app
from entrypoints.http.static import FRONTEND_DIR_ENV
from entrypoints.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

Client = AsyncTestClient[Any]
SCRIPT = "/* the pinned Scalar bundle */ console.log('api reference')"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
URL_ATTRIBUTE = re.compile(r"""\b(?:src|href|data-url|action)\s*=\s*["']([^"']*)["']""")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "schema" / "assets").mkdir(parents=True)
    (out / "index.html").write_text("<!DOCTYPE html><title>Home</title>")
    (out / "schema" / "assets" / "api-reference.js").write_text(SCRIPT)
    (out / "schema" / "assets" / "api-reference.NOTICE.txt").write_text("MIT")
    (out / "schema" / "assets" / "other.html").write_text("<script>alert(1)</script>")
    (tmp_path / "secret.js").write_text("outside the export")
    return out


async def client_for(services: Services, frontend: Path, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv(FRONTEND_DIR_ENV, str(frontend))
    return AsyncTestClient(create_app(services))


def sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def directives(response: Any) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    parsed = (part.strip().split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in parsed}


@pytest.mark.parametrize("path", ["/schema", "/schema/scalar"])
async def test_the_docs_page_loads_its_script_from_this_origin_only(
    services: Services, export: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    async with await client_for(services, export, monkeypatch) as client:
        response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    urls = URL_ATTRIBUTE.findall(page)
    assert "/schema/assets/api-reference.js" in urls
    assert "/schema/openapi.json" in urls
    assert all(url.startswith("/") and not url.startswith("//") for url in urls if url != "data:,")
    assert "cdn." not in page
    assert "http" not in page.replace("http-equiv", "")
    # Inline scripts: only those the policy names by hash; no inline event handlers.
    allowed = directives(response)["script-src"]
    for _, content in SCRIPT_TAG.findall(page):
        assert not content or sha256(content) in allowed
    assert not re.search(r"\son[a-z]+\s*=", page), "no inline event handler"


async def test_the_docs_page_has_a_strict_policy(
    services: Services, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await client_for(services, export, monkeypatch) as client:
        response = await client.get("/schema")

    policy = directives(response)
    inline = [sha256(content) for _, content in SCRIPT_TAG.findall(response.text) if content]
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'", *inline]
    assert len(inline) == 1  # the setup script before the bundle
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["font-src"] == ["'self'", "data:"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_pinned_script_is_served_from_the_export(
    services: Services, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await client_for(services, export, monkeypatch) as client:
        script = await client.get("/schema/assets/api-reference.js")
        notice = await client.get("/schema/assets/api-reference.NOTICE.txt")

    assert script.status_code == 200
    assert script.text == SCRIPT
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "no-cache"
    assert script.headers["x-content-type-options"] == "nosniff"
    assert notice.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/schema/assets/other.html",  # only scripts and notices
        "/schema/assets/missing.js",
        "/schema/assets/..%2Fsecret.js",
        "/schema/assets/%2e%2e",
        "/schema/assets/.hidden.js",
        "/schema/assets/sub/api-reference.js",
    ],
)
async def test_nothing_else_is_served_from_the_assets(
    services: Services, export: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    async with await client_for(services, export, monkeypatch) as client:
        response = await client.get(path)

    assert response.status_code == 404
    assert "outside the export" not in response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_without_the_export_the_page_says_how_to_build_it(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await client_for(services, tmp_path / "missing", monkeypatch) as client:
        page = await client.get("/schema")
        script = await client.get("/schema/assets/api-reference.js")

    assert page.status_code == 200
    assert "make frontend" in page.text
    assert "<script" not in page.text
    assert script.status_code == 404


async def test_deployed_the_page_loads_the_script_the_cdn_serves(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On AWS the function has no export: CloudFront serves /schema/assets/ from the
    site's bucket, and the page still points there."""
    deployed = build_services(
        dataclasses.replace(settings, environment="prod"), email=InMemoryEmailSender()
    )
    async with await client_for(deployed, tmp_path / "missing", monkeypatch) as client:
        page = await client.get("/schema")

    assert 'src="/schema/assets/api-reference.js"' in page.text
    assert "make frontend" not in page.text


async def test_the_openapi_document_is_litestars_own_rendering(
    services: Services, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(services)
    async with await client_for(services, export, monkeypatch) as client:
        response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert response.content == encode_json(app.openapi_schema.to_schema())
    assert directives(response)["default-src"] == ["'none'"]


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings, email=InMemoryEmailSender())
