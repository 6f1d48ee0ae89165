"""The built frontend (the Next.js static export in `frontend/out`) served at `/` next to
the API, so `app serve` is the whole site. Registered only when the export exists; on
Lambda it never does (CloudFront serves the same files from S3 and routes `/api/*` here).

Paths resolve exactly as on CloudFront, whose site function (infra/cloudfront/site.js)
maps a request path to an object of the bucket: `route()` below is the same rule set,
over the same list of files (`export_files`), and a test runs both over the same paths.
So the browser tests see what a deployed site does, e.g. `/verify-email` answered with
a redirect to `/verify-email/` rather than resolved as a directory here only.

Routing leaves the API untouched: the API's own paths match first, and an unknown path
gets the site's 404 page only when a browser asks for HTML, else the usual problem+json.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request, Response, Router, get, head
from litestar.exceptions import NotFoundException
from litestar.response import File

from entrypoints.http.middleware import FRONTEND_OPT, page_csp

FRONTEND_DIR_ENV = "APP_FRONTEND_DIR"
DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend" / "out"
# Content-hashed build assets never change under the same name.
IMMUTABLE_PREFIX = "/_next/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NOT_FOUND_PAGE = "/404.html"
# Pages that say "not found": served with status 404 wherever they are asked for.
NOT_FOUND_PAGES = frozenset({"/404.html", "/404/index.html", "/_not-found/index.html"})
# A path segment under IMMUTABLE_PREFIX that is passed through as it is.
PLAIN_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL
)


def frontend_dir() -> Path | None:
    """`APP_FRONTEND_DIR`, else `frontend/out` beside the code, if it holds a build."""
    directory = Path(os.environ.get(FRONTEND_DIR_ENV) or DEFAULT_FRONTEND_DIR)
    return directory.resolve() if (directory / "index.html").is_file() else None


def script_hashes(html: bytes) -> list[str]:
    """`'sha256-...'` of each distinct inline script of a page, sorted."""
    scripts = {m.group(1) for m in INLINE_SCRIPT.finditer(html) if m.group(1)}
    return sorted(f"'sha256-{b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts)


@functools.lru_cache(maxsize=256)
def _csp_of(path: Path, mtime_ns: int) -> str:
    """The page's policy: its own inline scripts allowed by hash, nothing else inline."""
    del mtime_ns  # part of the cache key only: a rebuilt page gets a new policy
    return page_csp(script_hashes(path.read_bytes()))


# ---- the routing rules, shared with the CloudFront site function ---------------------


def export_files(root: Path) -> frozenset[str]:
    """The export's files outside IMMUTABLE_PREFIX, as URL paths (`/sign-in/index.html`,
    percent-encoded as a browser sends them): what the CloudFront function is given."""
    found = set()
    for path in root.rglob("*"):
        url = "/" + quote(path.relative_to(root).as_posix(), safe="/")
        if path.is_file() and not url.startswith(IMMUTABLE_PREFIX):
            found.add(url)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request path leads: a file (URL path) answered with `status`, or a
    redirect to `redirect` (the query string is appended by the caller)."""

    file: str | None = None
    status: int = 200
    redirect: str | None = None


def _file(path: str) -> Route:
    return Route(file=path, status=404 if path in NOT_FOUND_PAGES else 200)


def _not_found(files: frozenset[str], uri: str) -> Route:
    return _file(NOT_FOUND_PAGE) if NOT_FOUND_PAGE in files else Route(file=uri, status=404)


def route(files: frozenset[str], uri: str) -> Route:
    """The route of `uri`, the request path as sent (not decoded, not normalized)."""
    if uri.startswith(IMMUTABLE_PREFIX):
        segments = uri[len(IMMUTABLE_PREFIX) :].split("/")
        plain = all(PLAIN_SEGMENT.match(s) and s not in {".", ".."} for s in segments)
        return _file(uri) if plain else _not_found(files, uri)
    if uri.endswith("/"):
        return _file(uri + "index.html") if uri + "index.html" in files else _not_found(files, uri)
    if uri in files:
        return _file(uri)
    if uri + "/index.html" in files:
        return Route(redirect=uri + "/")
    return _not_found(files, uri)


class Site:
    """Serves one export directory by `route`, never a file outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()  # files are checked to resolve inside it
        # Listed once, as a deploy lists it for the CDN: a rebuild needs a restart.
        self.files = export_files(root)

    def resolve(self, uri: str) -> Route:
        return route(self.files, uri)

    def path_of(self, url: str) -> Path | None:
        """The file behind a routed URL path, if it exists inside the export."""
        parts = unquote(url).split("/")[1:]
        if any(part in {"", ".", ".."} or "\x00" in part or "\\" in part for part in parts):
            return None
        resolved = self.root.joinpath(*parts).resolve()
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        return resolved

    def respond(self, request: Request[Any, Any, Any]) -> Response[Any]:
        target = self.resolve(_raw_path(request))
        if target.redirect is not None:
            query = request.scope.get("query_string", b"").decode("latin-1")
            location = f"{target.redirect}?{query}" if query else target.redirect
            return Response(content=b"", status_code=308, headers={"location": location})
        found = None if target.file is None else self.path_of(target.file)
        if found is None:
            raise NotFoundException
        if target.status == 404 and "text/html" not in request.headers.get("accept", ""):
            raise NotFoundException  # API clients get the usual problem+json
        return self.file(found, target.status)

    def file(self, path: Path, status_code: int) -> File:
        relative = "/" + path.relative_to(self.root).as_posix()
        headers = {
            "Cache-Control": IMMUTABLE if relative.startswith(IMMUTABLE_PREFIX) else REVALIDATE
        }
        if path.suffix == ".html":
            headers["Content-Security-Policy"] = _csp_of(path, path.stat().st_mtime_ns)
        return File(
            path=path,
            filename=path.name,
            content_disposition_type="inline",
            status_code=status_code,
            headers=headers,
        )


def _raw_path(request: Request[Any, Any, Any]) -> str:
    """The path as the client sent it (CloudFront Functions see it so): ASGI `raw_path`,
    without a query string (some clients put one there), else the decoded path."""
    raw = request.scope.get("raw_path")
    if not raw:
        return quote(str(request.scope["path"]), safe="/")
    return bytes(raw).decode("latin-1").partition("?")[0]


def frontend_router(root: Path) -> Router:
    site = Site(root)

    @get(["/", "/{file_path:path}"], name="frontend", sync_to_thread=False)
    def page(request: Request[Any, Any, Any]) -> Response[Any]:
        return site.respond(request)

    # Litestar wants HEAD handlers typed bodiless; it sends no body for HEAD in any case.
    @head(["/", "/{file_path:path}"], name="frontend-head", sync_to_thread=False)
    def page_head(request: Request[Any, Any, Any]) -> Response[None]:
        return site.respond(request)

    return Router(
        path="/",
        route_handlers=[page, page_head],
        include_in_schema=False,
        opt={FRONTEND_OPT: True},
    )


def frontend_routes() -> list[Router]:
    """The frontend's routes when a build exists (`make frontend`), else none."""
    root = frontend_dir()
    return [] if root is None else [frontend_router(root)]
