"""HTTP tests of the built frontend served at `/` (entrypoints/http/static.py) and of the
page CSP it gets (middleware.py), over a small export made here. Paths resolve as on
CloudFront: the last test runs the CloudFront site function (infra/cloudfront/site.js,
in Node) and `Site.resolve` over the same paths. The API's own behaviour must not
change when a frontend is served."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap import Services
from entrypoints.http.app import create_app
from entrypoints.http.middleware import PAGE_POLICY
from entrypoints.http.static import FRONTEND_DIR_ENV, Site
from infra.site import SiteExport
from tests.infra.cloudfront import run_site

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ROOT = Path(__file__).resolve().parents[2]
Client = AsyncTestClient[Any]
HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BOOT = "self.__next_f=self.__next_f||[];"
PAYLOAD = 'self.__next_f.push([1,"hello"]);'
STRICT = "default-src 'none'; frame-ancestors 'none'"


def page(title: str, *scripts: str) -> str:
    inline = "".join(f"<script>{s}</script>" for s in scripts)
    return (
        f'<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>{title}</title>'
        f'<script src="/_next/static/chunks/app.js" async=""></script></head>'
        f"<body><h1>{title}</h1>{inline}</body></html>"
    )


def sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "profile").mkdir(parents=True)
    (out / "_next" / "static" / "chunks").mkdir(parents=True)
    (out / "index.html").write_text(page("Home", BOOT, PAYLOAD))
    (out / "profile" / "index.html").write_text(page("Profile", BOOT))
    (out / "404.html").write_text(page("Page not found"))
    (out / "_next" / "static" / "chunks" / "app.js").write_text("console.log('app')")
    (out / "profile" / "index.txt").write_text('1:"$Sreact.fragment"')
    (out / "admin" / "users").mkdir(parents=True)
    (out / "admin" / "users" / "index.html").write_text(page("Users", BOOT))
    (tmp_path / "secret.txt").write_text("outside the export")
    return out


@pytest.fixture
async def site(
    export: Path, services: Services, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    monkeypatch.setenv(FRONTEND_DIR_ENV, str(export))
    async with AsyncTestClient(create_app(services)) as client:
        yield client


# --- pages and assets -------------------------------------------------------------------


async def test_the_start_page_is_served_at_the_root_with_a_policy_naming_its_scripts(
    site: Client,
) -> None:
    response = await site.get("/", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Home</h1>" in response.text
    policy = response.headers["content-security-policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == " ".join(
        ["'self'", *sorted([sha256(BOOT), sha256(PAYLOAD)])]
    )
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/profile/", "/profile/?next=%2F", "/profile/index.html"])
async def test_a_page_is_its_directorys_index(site: Client, path: str) -> None:
    response = await site.get(path, headers=HTML, follow_redirects=False)

    assert response.status_code == 200
    assert "<h1>Profile</h1>" in response.text
    assert sha256(BOOT) in response.headers["content-security-policy"]
    assert sha256(PAYLOAD) not in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/profile", "/profile/"),
        ("/profile?next=%2Fsecurity%2F&a=1&a=2", "/profile/?next=%2Fsecurity%2F&a=1&a=2"),
        ("/admin/users", "/admin/users/"),
    ],
)
async def test_a_page_without_its_slash_is_redirected_to_it_with_the_query(
    site: Client, path: str, location: str
) -> None:
    """As CloudFront does (308): an emailed `/verify-email#token=...` arrives without
    its fragment, which the browser keeps across the redirect."""
    for method in (site.get, site.head):
        response = await method(path, headers=HTML, follow_redirects=False)

        assert response.status_code == 308
        assert response.headers["location"] == location
        assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/",
        "/pro%66ile/",
        "/Profile/",
        "/profile/index.txt/",
        "/_next/static/chunks/",
    ],
)
async def test_no_directory_is_resolved_that_the_cdn_would_not(site: Client, path: str) -> None:
    response = await site.get(path, headers=HTML, follow_redirects=False)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


async def test_the_404_page_itself_answers_404(site: Client) -> None:
    response = await site.get("/404.html", headers=HTML)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


async def test_build_assets_are_cached_for_good_and_keep_the_strict_policy(site: Client) -> None:
    response = await site.get("/_next/static/chunks/app.js")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-security-policy"] == STRICT


async def test_route_payloads_are_served_but_revalidated(site: Client) -> None:
    response = await site.get("/profile/index.txt")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_head_answers_without_a_body(site: Client) -> None:
    response = await site.head("/")

    assert response.status_code == 200
    assert response.content == b""


# --- not found ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/no/such/page/", "/no/such/page"])
async def test_an_unknown_page_gets_the_sites_404_page_in_a_browser(
    site: Client, path: str
) -> None:
    response = await site.get(path, headers=HTML, follow_redirects=False)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_a_missing_build_file_is_a_plain_404(site: Client) -> None:
    response = await site.get("/_next/static/chunks/missing.js", headers=HTML)

    assert response.status_code == 404
    assert "Page not found" not in response.text


async def test_an_unknown_path_is_a_problem_for_api_clients(site: Client) -> None:
    response = await site.get("/no/such/route")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert str(ROOT) not in response.text  # no file-system path in the detail
    assert "out" not in response.json().get("detail", "")


@pytest.mark.parametrize(
    "path",
    ["/../secret.txt", "/%2e%2e/secret.txt", "/profile/../../secret.txt", "/..%2fsecret.txt"],
)
async def test_nothing_outside_the_export_is_served(site: Client, path: str) -> None:
    response = await site.get(path, headers=HTML)

    assert "outside the export" not in response.text
    assert response.status_code == 404


# --- the API is unchanged -------------------------------------------------------------------


async def test_api_routes_answer_as_without_a_frontend(site: Client) -> None:
    unknown = await site.get("/api/v1/nothing", headers=HTML)
    wrong_method = await site.delete("/health")
    health = await site.get("/health")
    sign_in = await site.post(
        "/api/v1/auth/sign-in", json={"email": "x@example.com", "password": "y" * 15}
    )

    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert wrong_method.status_code == 405
    assert health.json() == {"status": "ok"}
    assert health.headers["content-security-policy"] == STRICT
    assert health.headers["cache-control"] == "no-store"
    assert sign_in.status_code == 401
    assert sign_in.headers["cache-control"] == "no-store"


async def test_the_openapi_document_does_not_list_the_frontend(site: Client) -> None:
    document = (await site.get("/schema/openapi.json")).json()

    assert all(path.startswith(("/api/", "/health", "/.well-known/")) for path in document["paths"])


async def test_without_a_build_there_is_no_site(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FRONTEND_DIR_ENV, str(tmp_path / "missing"))
    async with AsyncTestClient(create_app(services)) as client:
        response = await client.get("/", headers=HTML)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


# --- one policy, two writers ----------------------------------------------------------------


def test_the_build_writes_the_same_directives_the_server_sends() -> None:
    """frontend/scripts/csp.mjs puts the policy into each page as a <meta> for static
    hosting; the server sends it as a header. They must agree (bar frame-ancestors,
    which a <meta> cannot carry)."""
    script = (ROOT / "frontend" / "scripts" / "csp.mjs").read_text()
    block = re.search(r"DIRECTIVES = \[(.*?)\];", script, re.DOTALL)
    assert block is not None
    built = re.findall(r'"([^"]+)"', block.group(1))

    assert built == [d for d in PAGE_POLICY if not d.startswith("frame-ancestors")]


# --- the same routes as the CDN --------------------------------------------------------------


def test_the_local_server_and_the_cloudfront_function_route_alike(export: Path) -> None:
    """The site function of the stack (with this export's files), run in Node, and
    `Site.resolve` over the same paths: same file, same status, same redirect."""
    built = SiteExport.at(export)
    local = Site(export)
    paths = [
        "/",
        "/profile/",
        "/profile",
        "/profile/index.html",
        "/profile/index.txt",
        "/admin/users",
        "/admin/users/",
        "/admin",
        "/admin/",
        "/404.html",
        "/nope",
        "/nope/",
        "//profile/",
        "/profile//",
        "/./profile/",
        "/pro%66ile/",
        "/PROFILE/",
        "/_next/static/chunks/app.js",
        "/_next/static/chunks/missing.js",
        "/_next/static/chunks/",
        "/_next/static/../index.html",
        "/_next/static/%2e%2e/index.html",
        "/../secret.txt",
    ]
    objects = [p.relative_to(export).as_posix() for p in export.rglob("*") if p.is_file()]
    outcomes = run_site(
        built.function_code("viewer-request"),
        built.function_code("viewer-response"),
        objects,
        [(path, None) for path in paths],
    )
    for path, outcome in zip(paths, outcomes, strict=True):
        route = local.resolve(path)
        if outcome.location is not None:
            assert (outcome.status, route.redirect) == (308, outcome.location), path
        elif outcome.object is None:
            assert route.file is not None, path
            assert local.path_of(route.file) is None, path
        else:
            assert route.file == "/" + outcome.object, path
            assert route.status == outcome.status, path
