"""The interactive API reference at `/schema`: Scalar, loaded from this origin only.

Litestar's Scalar plugin loads `@scalar/api-reference@latest` and a stylesheet from a
public CDN, unpinned and without integrity, on the origin of the refresh cookie. Here the
page loads the Scalar bundle pinned in frontend/package.json, which the frontend build
copies to `out/schema/assets/` (frontend/scripts/docs-assets.mjs): the app serves it from
there locally, CloudFront from the site's bucket when deployed. The page's configuration
is in data attributes; its one inline script is allowed by its hash, under a policy of
its own: scripts and connections to this origin only. Without the asset the page says
how to build it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from base64 import b64encode
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File

from entrypoints.http.middleware import PAGE_POLICY_STATE

ASSETS = "/assets"  # under the OpenAPI router's `/schema`
SCRIPT = "api-reference.js"
ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # one segment, no dot file
MEDIA_TYPES = {".js": "text/javascript", ".txt": "text/plain"}  # Litestar adds the charset
# Scalar's options: no web fonts from its CDN, no telemetry, none of the links and
# buttons to Scalar's hosted services (developer tools, SDK generation, agent).
SCALAR_OPTIONS: dict[str, Any] = {
    "withDefaultFonts": False,
    "telemetry": False,
    "showDeveloperTools": "never",
    "hideClientButton": True,
    "agent": {"disabled": True},
}


# The one inline script, allowed by its hash: it tells the bundle's Zod not to probe for
# eval (`Function("")`, which the policy refuses and reports) before it loads.
SETUP_SCRIPT = "globalThis.__zod_globalConfig = { jitless: true };"
SETUP_HASH = "'sha256-" + b64encode(hashlib.sha256(SETUP_SCRIPT.encode()).digest()).decode() + "'"

# Scripts and connections: this origin only, no other inline script. Styles: the bundle sets
# style attributes and style elements at run time (Vue, its themes), which no nonce or
# hash can cover; inline styles cannot run code, and img-src/font-src keep CSS from
# loading (or leaking to) another origin.
DOCS_POLICY = "; ".join(
    (
        "default-src 'none'",
        f"script-src 'self' {SETUP_HASH}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


class SelfHostedScalar(OpenAPIRenderPlugin):
    """`assets`: the directory holding the bundle, when this process serves it;
    `hosted`: whether the bundle is served at `/schema/assets/` without this process
    (deployed behind CloudFront)."""

    def __init__(self, assets: Path | None, hosted: bool) -> None:
        super().__init__(path="/scalar", favicon="", style="")
        self.assets = assets if assets is not None and (assets / SCRIPT).is_file() else None
        self.available = self.assets is not None or hosted

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        request.scope.setdefault("state", {})[PAGE_POLICY_STATE] = DOCS_POLICY
        title = html.escape(str(openapi_schema["info"]["title"]))
        openapi_json = html.escape(self.get_openapi_json_route(request))
        if not self.available:
            body = (
                f"<h1>{title}</h1><p>The interactive reference needs the web app's build, "
                "which holds its script: run <code>make frontend</code> (or <code>cd frontend "
                "&amp;&amp; npm ci &amp;&amp; npm run build</code>) and restart the server.</p>"
                f'<p>The OpenAPI document is at <a href="{openapi_json}">{openapi_json}</a>.</p>'
            )
        else:
            options = html.escape(json.dumps(SCALAR_OPTIONS), quote=True)
            body = (
                f"<script>{SETUP_SCRIPT}</script>"
                f'<script id="api-reference" data-url="{openapi_json}" '
                f'data-configuration="{options}"></script>'
                f'<script src="{html.escape(self.asset_url(request))}"></script>'
            )
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{title}</title></head>"
            f"<body><noscript>The API reference needs JavaScript; the OpenAPI document is at "
            f'<a href="{openapi_json}">{openapi_json}</a>.</noscript>{body}</body></html>'
        )
        return page.encode()

    @staticmethod
    def asset_url(request: Request[Any, Any, Any]) -> str:
        return request.app.route_reverse("docs-asset", file=SCRIPT)

    def receive_router(self, router: Router) -> None:
        assets = self.assets

        @get(f"{ASSETS}/{{file:str}}", name="docs-asset", sync_to_thread=False)
        def asset(file: FromPath[str]) -> File:
            found = assets / file if assets is not None and ASSET_NAME.fullmatch(file) else None
            if found is None or found.suffix not in MEDIA_TYPES or not found.is_file():
                raise NotFoundException
            # The name does not change with the version: revalidate (ETag, Last-Modified).
            return File(
                found,
                filename=found.name,
                media_type=MEDIA_TYPES[found.suffix],
                content_disposition_type="inline",
                headers={"Cache-Control": "no-cache"},
            )

        router.register(asset)
