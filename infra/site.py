"""What the stack takes from the built site (the Next.js static export, `frontend_dir`):
the list of its files for the CloudFront routing function, and the hashes of its inline
scripts for the distribution's Content-Security-Policy header.

Both come from the code `app serve` runs (entrypoints/http/static.py: `export_files`,
`script_hashes`; middleware.py: `page_csp`), so the CDN and the local server route the
same paths and send the same policy.

Without a build, the stack still synthesizes: no files are uploaded, the routing
function knows no page (every path gets S3's answer), and the header policy allows no
inline script at all, which is right for a bucket that holds no page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from entrypoints.http.middleware import page_csp
from entrypoints.http.static import export_files, script_hashes
from infra.errors import ConfigError

FUNCTIONS_DIR = Path(__file__).resolve().parent / "cloudfront"
SITE_FUNCTION = FUNCTIONS_DIR / "site.js"
VIEWER_IP_FUNCTION = FUNCTIONS_DIR / "viewer-ip.js"
FILES_PLACEHOLDER = "/*@SITE_FILES@*/ {}"
# CloudFront quotas: function code size, and the CSP value of a response headers policy.
MAX_FUNCTION_BYTES = 10 * 1024
MAX_CSP_CHARACTERS = 1783
# The two entry points of site.js, by CloudFront event type.
SITE_HANDLERS = {"viewer-request": "viewerRequest", "viewer-response": "viewerResponse"}


@dataclass(frozen=True, slots=True)
class SiteExport:
    """A static export directory, or None when the site is not built."""

    root: Path | None

    @classmethod
    def at(cls, directory: Path) -> SiteExport:
        return cls(directory if (directory / "index.html").is_file() else None)

    @property
    def built(self) -> bool:
        return self.root is not None

    def files(self) -> frozenset[str]:
        return frozenset() if self.root is None else export_files(self.root)

    def script_hashes(self) -> list[str]:
        """The hashes of every inline script of every page, sorted."""
        if self.root is None:
            return []
        found: set[str] = set()
        for page in self.root.rglob("*.html"):
            found.update(script_hashes(page.read_bytes()))
        return sorted(found)

    def content_security_policy(self) -> str:
        """The header policy of the site: PAGE_POLICY allowing every page's inline
        scripts. Each page also carries its own <meta> policy with only its scripts
        (frontend/scripts/csp.mjs); a browser enforces both, so each page runs only its
        own. Unlike the <meta>, the header carries frame-ancestors."""
        policy = page_csp(self.script_hashes())
        if len(policy) > MAX_CSP_CHARACTERS:
            raise ConfigError(
                f"frontend_dir: the site's Content-Security-Policy ({len(policy)} characters, "
                f"one hash per inline script) exceeds CloudFront's limit of "
                f"{MAX_CSP_CHARACTERS} for a response headers policy"
            )
        return policy

    def function_code(self, event_type: str) -> str:
        """site.js with this export's files, and a `handler` for `event_type`."""
        files = json.dumps(dict.fromkeys(sorted(self.files()), 1), separators=(",", ":"))
        source = SITE_FUNCTION.read_text()
        if source.count(FILES_PLACEHOLDER) != 1:
            raise ValueError(f"{SITE_FUNCTION}: expected one {FILES_PLACEHOLDER!r}")
        code = source.replace(FILES_PLACEHOLDER, files) + (
            f"\nfunction handler(event) {{\n  return {SITE_HANDLERS[event_type]}(event);\n}}\n"
        )
        if len(code.encode()) > MAX_FUNCTION_BYTES:
            raise ConfigError(
                f"frontend_dir: the site routing function ({len(code.encode())} bytes with "
                f"{len(self.files())} files) exceeds CloudFront's {MAX_FUNCTION_BYTES}-byte "
                f"limit for a function"
            )
        return code
