"""The API reference (`/schema`) in a real browser: Debian's Chromium against the real
`app serve` with the built export (`make frontend` copies the pinned Scalar bundle into
out/schema/assets/). It renders the API's title and operations under its own policy,
with no Content-Security-Policy violation and no request to another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.browser_kit import Site, Watched, shot

pytestmark = pytest.mark.e2e

# Recorded from the first script that runs (injected over CDP, so no policy applies).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_the_docs_page_renders_from_this_origin_only(tab: Watched, site: Site) -> None:
    page = tab.page
    origin = urlsplit(site.base_url).netloc
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlsplit(request.url).scheme not in {"data", "blob"}
            and urlsplit(request.url).netloc != origin
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)

    response = page.goto("/schema")

    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Serverless Auth API", level=1)).to_be_visible()
    page.get_by_text("SignIn", exact=True).first.click()
    expect(page.get_by_text("/api/v1/auth/sign-in").first).to_be_visible()
    page.wait_for_timeout(1000)  # for anything lazy (fonts, analytics) to ask elsewhere
    shot(page, "api-reference")

    assert page.evaluate("window.__violations") == []
    assert elsewhere == []
    assert tab.problems == []
