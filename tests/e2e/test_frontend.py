"""The frontend in a real browser: Debian's Chromium, driven by Playwright, against the
real `app serve` (granian, embedded store) on loopback, serving the built static export
at `/` and the API at `/api`.

Prerequisites (CI installs both; a missing one fails loudly, it is never skipped):
`apt-get install -y chromium` and `make frontend` (builds frontend/out).

Screenshots of every page go to artifacts/screenshots/ (CI keeps them as artifacts);
the profile page's is copied to docs/screenshots/profile.png for the README when that
file is missing or UPDATE_README_SCREENSHOT=1.
"""

from __future__ import annotations

import os
import re
import shutil
import time

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD
from tests.e2e.browser_kit import (
    ACCESS_TOKEN_TTL,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AXE,
    DESKTOP,
    PHONE,
    README_SCREENSHOT,
    UPDATE_README_SCREENSHOT,
    Site,
    Watched,
    alert_in,
    api_bearer,
    api_sign_up,
    axe_violations,
    field_error,
    open_page,
    refresh_cookie,
    shot,
    sign_in,
    unique_email,
)

# --- the flows ----------------------------------------------------------------------------


def test_sign_up_sign_out_and_sign_in(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    email = unique_email("ann")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(page, "sign-in")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    shot(page, "sign-up")

    # Client-side checks: every field named, focus on the first one to fix.
    page.get_by_role("button", name="Create account").click()
    assert field_error(page, "sign-up-name") == "Enter a name."
    assert field_error(page, "sign-up-password") == "Choose a password."
    expect(page.locator("#sign-up-name")).to_be_focused()
    expect(page.locator("#sign-up-name")).to_have_attribute("aria-invalid", "true")
    shot(page, "sign-up-errors")

    # The API's problem+json errors land on their fields too.
    page.get_by_label("Name").fill("Ann Lovelace")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Repeat the password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#sign-up-email-error")).to_have_text(
        "An account with this email already exists."
    )
    page.get_by_label("Email").fill("ann@example..com")  # passes the browser, not the API
    page.get_by_role("button", name="Create account").click()
    expect(alert_in(page)).to_contain_text("Please correct the fields marked below.")
    expect(page.locator("#sign-up-email-error")).to_be_visible()

    # The API's password rules (NIST SP 800-63B-4): the page says which one failed.
    page.get_by_label("Email").fill(email)
    for weak, rule in [
        ("password12345678", "too common or known from data breaches"),
        ("a" * 20, "Avoid repeating one character"),
    ]:
        page.get_by_label("Password", exact=True).fill(weak)
        page.get_by_label("Repeat the password").fill(weak)
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#sign-up-password-error")).to_contain_text(rule)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Repeat the password").fill(STRONG_PASSWORD)

    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_test_id("profile-name")).to_have_text("Ann Lovelace")

    # The refresh token is in an HttpOnly, Secure, SameSite=Strict cookie on the auth
    # path only (Chromium keeps Secure cookies on http://127.0.0.1), never in script reach.
    cookie = refresh_cookie(tab.context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    assert "refresh_token" not in page.evaluate("document.cookie")
    stored = page.evaluate(
        "JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert "eyJ" not in stored  # no JWT in web storage
    assert cookie["value"] not in stored

    # A reload keeps the session: the cookie is exchanged for a new access token.
    with page.expect_response(re.compile(r"/api/v1/auth/refresh$")) as refreshed:
        page.reload()
    assert refreshed.value.status == 200
    expect(page.get_by_test_id("profile-name")).to_have_text("Ann Lovelace")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert not (refresh_cookie(tab.context) or {}).get("value")
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(OTHER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(alert_in(page)).to_have_text("The email or password is incorrect.")
    shot(page, "sign-in-error")
    sign_in(page, email, STRONG_PASSWORD)
    expect(page.get_by_test_id("profile-email")).to_have_text(email)


def test_edit_profile_and_see_a_stale_edit_conflict(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    email = "grace.hopper@example.com"  # each run has a fresh store; a tidy screenshot
    api_sign_up(api, email, "Grace")
    sign_in(page, email, STRONG_PASSWORD)

    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.get_by_test_id("profile-name")).to_have_text("Grace Hopper")

    # Someone else (another tab, an admin) changes the account meanwhile.
    other = api_bearer(api, email, STRONG_PASSWORD)
    etag = api.get("/api/v1/users/me", headers=other).headers["etag"]
    changed = api.patch(
        f"/api/v1/users/{api.get('/api/v1/users/me', headers=other).json()['id']}",
        json={"name": "Rear Admiral Hopper"},
        headers={**other, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text

    page.get_by_label("Name", exact=True).fill("Amazing Grace")
    page.get_by_role("button", name="Save changes").click()
    alert = alert_in(page)
    expect(alert).to_contain_text("Someone changed this account")
    shot(page, "profile-conflict")
    alert.get_by_role("button", name="Reload profile").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Rear Admiral Hopper")
    expect(page.get_by_test_id("profile-name")).to_have_text("Rear Admiral Hopper")

    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.get_by_test_id("profile-name")).to_have_text("Grace Hopper")
    page.evaluate("window.scrollTo(0, 0)")
    profile = shot(page, "profile")
    if os.environ.get(UPDATE_README_SCREENSHOT) == "1" or not README_SCREENSHOT.exists():
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(profile, README_SCREENSHOT)


def test_change_password(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    email = unique_email("alan")
    elsewhere = api_sign_up(api, email, "Alan")["tokens"]["refresh_token"]
    sign_in(page, email, STRONG_PASSWORD)

    page.get_by_label("Current password").fill(OTHER_PASSWORD)
    page.get_by_label("New password", exact=True).fill("an entirely new passphrase")
    page.get_by_label("Repeat the new password").fill("an entirely new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-current-error")).to_have_text(
        "The current password is incorrect."
    )

    page.get_by_label("Current password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(
        page.get_by_text("Password changed. Your other sessions were signed out.")
    ).to_be_visible()
    shot(page, "profile-password-changed")
    # The other session (signed up over the API) ended; this tab carries on.
    revoked = api.post("/api/v1/auth/refresh", json={"refresh_token": elsewhere})
    assert revoked.status_code == 401
    page.reload()
    expect(page.get_by_test_id("profile-email")).to_have_text(email)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(alert_in(page)).to_have_text("The email or password is incorrect.")
    sign_in(page, email, "an entirely new passphrase")


def test_admin_creates_edits_and_deletes_a_user(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    admin = api_bearer(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    for n in range(11):  # more than one page of users
        created = api.post(
            "/api/v1/users",
            json={
                "email": unique_email(f"seed{n}"),
                "password": STRONG_PASSWORD,
                "name": f"Seed {n}",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page).to_have_url(re.compile(r"/admin/users/$"))
    rows = page.locator("table.users tbody tr")
    expect(rows).to_have_count(10)
    expect(page.get_by_text("Page 1", exact=True)).to_be_visible()
    shot(page, "admin-users")
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2", exact=True)).to_be_visible()
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_text("Page 1", exact=True)).to_be_visible()

    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#new-user-email-error")).to_have_text("Enter your email address.")
    email = unique_email("linus")
    page.get_by_label("Name", exact=True).fill("Linus")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Initial password").fill(OTHER_PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status").filter(has_text=f"Created {email}.")).to_be_visible()

    # The new user is the newest, so on the last page.
    row = page.get_by_role("row").filter(has_text=email)
    next_page = page.get_by_role("button", name="Next page")
    while not row.is_visible() and next_page.is_enabled():
        next_page.click()
        page.wait_for_load_state("networkidle")
    expect(row).to_be_visible()

    row.get_by_label(f"Role of {email}").select_option("admin")
    row.get_by_role("button", name=f"Save role of {email}").click()
    expect(page.get_by_role("status").filter(has_text=f"{email} is now an admin.")).to_be_visible()
    listed = api.get("/api/v1/users", params={"limit": 100}, headers=admin).json()["items"]
    user = next(u for u in listed if u["email"] == email)
    assert user["role"] == "admin"

    row.get_by_role("button", name=f"Delete {email}").click()
    dialog = page.get_by_role("dialog", name="Delete this user?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shot(page, "admin-delete-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    row.get_by_role("button", name=f"Delete {email}").click()
    dialog.get_by_role("button", name="Delete user").click()
    expect(page.get_by_role("status").filter(has_text=f"Deleted {email}.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=email)).to_have_count(0)
    gone = api.get(
        f"/api/v1/users/{user['id']}", headers=api_bearer(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    )
    assert gone.status_code == 404


def test_a_user_deletes_their_own_account(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    email = unique_email("ada")
    api_sign_up(api, email, "Ada")
    sign_in(page, email, STRONG_PASSWORD)

    page.get_by_role("button", name="Delete my account…").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    expect(dialog).to_contain_text(email)
    # An access token alone deletes nothing: the password is asked again, and checked.
    expect(dialog.get_by_label("Current password")).to_be_focused()
    expect(dialog.get_by_label("Code from your app or a backup code")).to_have_count(0)
    shot(page, "profile-delete-dialog")
    dialog.get_by_label("Current password").fill("typed, then thought better of it")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("profile-email")).to_have_text(email)

    page.get_by_role("button", name="Delete my account…").click()
    expect(dialog.get_by_label("Current password")).to_have_value("")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.locator("#delete-password-error")).to_have_text("Enter your current password.")
    dialog.get_by_label("Current password").fill(OTHER_PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.get_by_role("alert")).to_have_text("The current password is incorrect.")
    expect(dialog.locator("#delete-password-error")).to_have_text(
        "The current password is incorrect."
    )
    expect(dialog.get_by_label("Current password")).to_be_focused()
    shot(page, "profile-delete-wrong-password")
    assert api_bearer(api, email, STRONG_PASSWORD)  # still there

    # Guessing is throttled (a few free tries, then growing waits): the dialog says how
    # long to wait, from the answer's Retry-After.
    throttled = re.compile(r"^Too many attempts; try again in (\d+) seconds?\.$")
    alert = dialog.get_by_role("alert")
    for _ in range(10):
        dialog.get_by_label("Current password").fill(OTHER_PASSWORD)
        dialog.get_by_role("button", name="Delete my account").click()
        expect(dialog.get_by_role("button", name="Delete my account")).to_be_enabled()
        if throttled.match(alert.inner_text()):
            break
    wait = throttled.match(alert.inner_text())
    assert wait is not None, alert.inner_text()
    shot(page, "profile-delete-throttled")
    time.sleep(int(wait.group(1)) + 0.5)

    dialog.get_by_label("Current password").fill(STRONG_PASSWORD)
    dialog.get_by_label("Current password").press("Enter")
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_text("Your account was deleted.")).to_be_visible()
    assert not (refresh_cookie(tab.context) or {}).get("value")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(alert_in(page)).to_have_text("The email or password is incorrect.")


def test_pages_need_a_session_and_user_administration_needs_an_admin(
    tab: Watched, api: httpx.Client
) -> None:
    page = tab.page
    email = unique_email("bob")
    api_sign_up(api, email, "Bob")

    page.goto("/profile/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2Fprofile%2F$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    page.goto("/admin/users/")
    expect(alert_in(page)).to_have_text("Only admins can manage users.")
    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_the_session_is_refreshed_silently_before_the_access_token_expires(
    tab: Watched, api: httpx.Client
) -> None:
    page = tab.page
    email = unique_email("edsger")
    api_sign_up(api, email, "Edsger")
    sign_in(page, email, STRONG_PASSWORD)
    first = (refresh_cookie(tab.context) or {}).get("value")

    # Nobody touches the page: the refresh happens on its own before the token expires.
    with page.expect_response(
        re.compile(r"/api/v1/auth/refresh$"), timeout=ACCESS_TOKEN_TTL * 1000
    ) as refreshed:
        pass
    assert refreshed.value.status == 200
    assert refreshed.value.request.headers.get("x-refresh-token-transport") == "cookie"
    assert (refresh_cookie(tab.context) or {}).get("value") not in {None, "", first}

    # Well past the first token's life, the page still works without signing in again.
    time.sleep(ACCESS_TOKEN_TTL * 0.3)
    page.get_by_label("Name", exact=True).fill("Edsger Dijkstra")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()


def test_keyboard_use_and_phone_width(browser: Browser, site: Site, api: httpx.Client) -> None:
    watched = open_page(browser, site, PHONE)
    page = watched.page
    email = unique_email("katherine")
    api_sign_up(api, email, "Katherine")
    try:
        page.goto("/sign-in/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Enter")
        # From the skip link, the form is a few tabs away, in reading order.
        for _ in range(6):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "sign-in-email":
                break
        expect(page.locator("#sign-in-email")).to_be_focused()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", "the focused field shows no focus ring"
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        expect(page.locator("#sign-in-password")).to_be_focused()
        page.keyboard.type(STRONG_PASSWORD)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/profile/$"))
        expect(page.get_by_test_id("profile-email")).to_have_text(email)

        for path, name in [("/profile/", "phone-profile"), ("/sign-up/", None)]:
            if name is None:
                page.get_by_role("button", name="Sign out").click()
                expect(page).to_have_url(re.compile(r"/sign-in/$"))
                page.goto(path)
                expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
                name = "phone-sign-up"
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} scrolls sideways at phone width ({width}px)"
            shot(page, name)

        sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
        page.goto("/admin/users/")
        expect(page.locator("table.users tbody tr").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"/admin/users/ scrolls sideways ({width}px)"
        shot(page, "phone-admin-users")
    finally:
        watched.context.close()
    assert watched.problems == []


def test_pages_carry_a_hash_based_csp_and_the_api_keeps_its_strict_one(
    site: Site, api: httpx.Client
) -> None:
    page = api.get("/sign-in/", headers={"accept": "text/html"})
    health = api.get("/health")

    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    # The build wrote the same policy into the page for static hosting (S3/CloudFront).
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', page.text)
    assert meta is not None
    assert meta.group(1) == policy.replace("; frame-ancestors 'none'", "")
    assert health.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_every_page_passes_axe_at_wcag_aa(browser: Browser, site: Site, api: httpx.Client) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make frontend` (npm ci).")
    # axe is injected as a script, which the pages' own CSP rightly refuses.
    context = browser.new_context(base_url=site.base_url, viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    email = unique_email("tim")
    api_sign_up(api, email, "Tim")
    found: dict[str, list[str]] = {}
    try:
        for path, heading in [("/sign-in/", "Sign in"), ("/sign-up/", "Create an account")]:
            page.goto(path)
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            found[path] = axe_violations(page)
        page.goto("/sign-up/")
        page.get_by_role("button", name="Create account").click()  # with its error messages
        expect(page.locator("#sign-up-name-error")).to_be_visible()
        found["/sign-up/ (errors)"] = axe_violations(page)
        sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
        expect(page.get_by_test_id("profile-email")).to_have_text(ADMIN_EMAIL)
        found["/profile/"] = axe_violations(page)
        page.goto("/admin/users/")
        expect(page.locator("table.users tbody tr").first).to_be_visible()
        found["/admin/users/"] = axe_violations(page)
    finally:
        context.close()

    assert {path: v for path, v in found.items() if v} == {}
