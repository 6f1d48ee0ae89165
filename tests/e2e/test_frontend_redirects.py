"""Where the sign-in page sends the browser: the `next` a link carries, as Chromium
reads it. The page must stay on the app's origin whatever the value; a hostile one
falls back to the profile, an ordinary path of the app is honoured.

Chromium resolves addresses leniently (a backslash counts as a slash; a tab, newline
or carriage return is dropped), so each variant is tried in the real browser, against
the real `app serve`, with the fixtures of conftest.py. The unit tests
(frontend/tests/redirect.test.ts) cover many more spellings of the same trick.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, Request, expect

from tests.conftest import STRONG_PASSWORD
from tests.e2e.browser_kit import Site, Watched, api_bearer, api_sign_up, sign_in, unique_email
from tests.e2e.test_frontend_account import api_verify, next_totp

pytestmark = pytest.mark.e2e

# Port 9 (discard) refuses: leaving for it shows up as a navigation request, then fails.
ELSEWHERE = "127.0.0.1:9"

# Each value as it appears in the address (the query decodes it once).
HOSTILE_NEXT = {
    "raw backslash": f"/\\{ELSEWHERE}/pwn",
    "encoded backslash": f"/%5C{ELSEWHERE}/pwn",
    "two encoded backslashes": f"%5C%5C{ELSEWHERE}/pwn",
    "encoded tab": f"/%09/{ELSEWHERE}/pwn",
    "encoded newline": f"/%0A/{ELSEWHERE}/pwn",
    "encoded carriage return": f"/%0D/{ELSEWHERE}/pwn",
    "tab before a backslash": f"/%09%5C{ELSEWHERE}/pwn",
    "encoded double slash": f"%2F%2F{ELSEWHERE}/pwn",
    "dot segment before a double slash": f"/.//{ELSEWHERE}/pwn",
    "leading space and double slash": f"%20//{ELSEWHERE}/pwn",
    "absolute http": quote(f"http://{ELSEWHERE}/pwn", safe=""),
    "absolute, scheme only": f"http:%5C%5C{ELSEWHERE}/pwn",
    "javascript": quote("javascript:alert(document.domain)", safe=""),
    "data": quote("data:text/html,<script>alert(1)</script>", safe=""),
}


class Navigations:
    """Every top-level navigation a page starts, and every dialog it opens."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self._on_request(page, request))
        page.on("dialog", lambda dialog: self.dialogs.append(dialog.message))

    def _on_request(self, page: Page, request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            self.urls.append(request.url)

    def elsewhere(self, site: Site) -> list[str]:
        home = urlsplit(site.base_url)
        return [url for url in self.urls if urlsplit(url)[:2] != home[:2]]


def landed_on(site: Site, path: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(site.base_url + path) + "$")


@pytest.fixture(scope="module")
def member(site: Site) -> str:
    """One account for the whole module: successful sign-ins are not throttled."""
    email = unique_email("rhea")
    with httpx.Client(base_url=site.base_url, timeout=10) as client:
        api_sign_up(client, email, "Rhea")
    return email


def submit_sign_in(page: Page, email: str, next_value: str) -> None:
    page.goto(f"/sign-in/?next={next_value}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("next_value", HOSTILE_NEXT.values(), ids=HOSTILE_NEXT.keys())
def test_signing_in_with_a_hostile_next_stays_on_the_site(
    tab: Watched, site: Site, member: str, next_value: str
) -> None:
    page = tab.page
    seen = Navigations(page)
    submit_sign_in(page, member, next_value)
    expect(page).to_have_url(landed_on(site, "/profile/"))
    expect(page.get_by_test_id("profile-email")).to_have_text(member)
    assert seen.elsewhere(site) == []
    assert seen.dialogs == []


def test_a_signed_in_visitor_following_a_hostile_link_stays_on_the_site(
    tab: Watched, site: Site, member: str
) -> None:
    """The likelier attack: a link to the sign-in page sent to someone already signed
    in, whom the page forwards at once."""
    page = tab.page
    sign_in(page, member, STRONG_PASSWORD)
    seen = Navigations(page)
    for name, next_value in HOSTILE_NEXT.items():
        page.goto(f"/sign-in/?next={next_value}")
        expect(page, name).to_have_url(landed_on(site, "/profile/"))
        expect(page.get_by_test_id("profile-email"), name).to_have_text(member)
    assert seen.elsewhere(site) == []
    assert seen.dialogs == []


@pytest.mark.parametrize(
    ("next_value", "lands_on"),
    [
        ("/security/", "/security/"),
        (quote("/security/", safe=""), "/security/"),
        (quote("/security/?from=mail#sessions", safe=""), "/security/?from=mail#sessions"),
        ("security/", "/security/"),
        ("{origin}/security/", "/security/"),
    ],
    ids=["plain", "encoded", "with a query and a fragment", "relative", "absolute on the site"],
)
def test_a_next_on_the_site_is_honoured(
    tab: Watched, site: Site, member: str, next_value: str, lands_on: str
) -> None:
    page = tab.page
    seen = Navigations(page)
    submit_sign_in(page, member, next_value.format(origin=quote(site.base_url, safe="")))
    expect(page).to_have_url(landed_on(site, lands_on))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert seen.elsewhere(site) == []


def test_the_guard_sends_a_visitor_back_after_signing_in(
    tab: Watched, site: Site, member: str
) -> None:
    page = tab.page
    page.goto("/security/")
    expect(page).to_have_url(landed_on(site, "/sign-in/?next=%2Fsecurity%2F"))
    page.get_by_label("Email").fill(member)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(landed_on(site, "/security/"))


def test_the_two_factor_step_ignores_a_hostile_next_too(
    tab: Watched, site: Site, api: httpx.Client
) -> None:
    email = unique_email("tess")
    api_sign_up(api, email, "Tess")
    api_verify(api, site, email)
    bearer = api_bearer(api, email, STRONG_PASSWORD)
    started = api.post(
        "/api/v1/users/me/two-factor", json={"password": STRONG_PASSWORD}, headers=bearer
    )
    assert started.status_code == 201, started.text
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = api.post(
        "/api/v1/users/me/two-factor/confirm", json={"code": totp.now()}, headers=bearer
    )
    assert confirmed.status_code == 200, confirmed.text

    page = tab.page
    seen = Navigations(page)
    submit_sign_in(page, email, HOSTILE_NEXT["encoded backslash"])
    page.get_by_label("Verification code").fill(next_totp(totp))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(landed_on(site, "/profile/"))
    assert seen.elsewhere(site) == []
