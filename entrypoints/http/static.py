"""The built frontend (the Next.js static export in `frontend/out`) served at `/` next to
the API, so `app serve` is the whole site. Registered only when the export exists; on
Lambda it never does (CloudFront serves the same files from S3 and routes `/api/*` here).

Routing leaves the API untouched: the API's own paths match first, and an unknown path
gets the site's 404 page only when a browser asks for HTML, else the usual problem+json.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from base64 import b64encode
from pathlib import Path, PurePosixPath
from typing import Any

from litestar import Request, Response, Router, get, head
from litestar.exceptions import NotFoundException
from litestar.response import File

from entrypoints.http.middleware import FRONTEND_OPT, page_csp

FRONTEND_DIR_ENV = "APP_FRONTEND_DIR"
DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend" / "out"
# Content-hashed build assets never change under the same name.
IMMUTABLE_PREFIX = "_next/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL
)


def frontend_dir() -> Path | None:
    """`APP_FRONTEND_DIR`, else `frontend/out` beside the code, if it holds a build."""
    directory = Path(os.environ.get(FRONTEND_DIR_ENV) or DEFAULT_FRONTEND_DIR)
    return directory.resolve() if (directory / "index.html").is_file() else None


@functools.lru_cache(maxsize=256)
def _csp_of(path: Path, mtime_ns: int) -> str:
    """The page's policy: its own inline scripts allowed by hash, nothing else inline."""
    del mtime_ns  # part of the cache key only: a rebuilt page gets a new policy
    scripts = {m.group(1) for m in INLINE_SCRIPT.finditer(path.read_bytes()) if m.group(1)}
    hashes = sorted(f"'sha256-{b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts)
    return page_csp(hashes)


class Site:
    """Resolves request paths to files of one export directory, never outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def resolve(self, path: str) -> Path | None:
        parts = PurePosixPath("/" + path).parts[1:]
        if any(part in {"..", "."} or "\x00" in part or "\\" in part for part in parts):
            return None
        candidate = self.root.joinpath(*parts)
        if candidate.is_dir():
            candidate = candidate / "index.html"
        elif not candidate.suffix and candidate.with_suffix(".html").is_file():
            candidate = candidate.with_suffix(".html")
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        return resolved

    def respond(self, request: Request[Any, Any, Any]) -> Response[Any]:
        # `/profile` and `/profile/` are the same page (the router drops the slash).
        found = self.resolve(str(request.scope["path"]).lstrip("/"))
        if found is not None:
            return self.file(found, 200)
        not_found = self.resolve("404.html")
        if not_found is not None and "text/html" in request.headers.get("accept", ""):
            return self.file(not_found, 404)
        raise NotFoundException  # API clients get the usual problem+json

    def head(self, path: str) -> File:
        found = self.resolve(path)
        if found is None:
            raise NotFoundException
        return self.file(found, 200)

    def file(self, path: Path, status_code: int) -> File:
        relative = path.relative_to(self.root).as_posix()
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


def frontend_router(root: Path) -> Router:
    site = Site(root)

    @get(["/", "/{file_path:path}"], name="frontend", sync_to_thread=False)
    def page(request: Request[Any, Any, Any]) -> Response[Any]:
        return site.respond(request)

    @head(["/", "/{file_path:path}"], name="frontend-head", sync_to_thread=False)
    def page_head(request: Request[Any, Any, Any]) -> File:
        return site.head(str(request.scope["path"]).lstrip("/"))

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
