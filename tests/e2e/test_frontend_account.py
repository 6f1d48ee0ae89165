"""The account pages in a real browser: email verification and password reset through
the links the server emails, two-factor sign-in, sessions, activity, and axe on the
new pages. Same setup as test_frontend.py (Debian's Chromium driven by Playwright,
the real `app serve` on loopback; fixtures in conftest.py, helpers in browser_kit.py).

The server's email backend is the console one: each email, link included, is written
to the server's stderr, which the `site` fixture sends to `serve.log` in its data
folder. The tests read the links from there.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import OTHER_PASSWORD, STRONG_PASSWORD
from tests.e2e.browser_kit import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AXE,
    DESKTOP,
    Site,
    Watched,
    alert_in,
    api_bearer,
    api_sign_up,
    axe_violations,
    open_page,
    refresh_cookie,
    shot,
    sign_in,
    unique_email,
)

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a brand new passphrase after the reset"
EMAIL_RULE = "=" * 72  # the console sender frames each email with it
EMAIL_WAIT_SECONDS = 10.0


# --- the emails ---------------------------------------------------------------------------


def server_output(site: Site) -> Path:
    """Where the `site` fixture writes the server's stdout and stderr."""
    return site.data_dir / "serve.log"


def emailed_links(site: Site, to: str, page: str) -> list[str]:
    """Every `/{page}#token=...` link emailed to `to` so far, oldest first."""
    text = server_output(site).read_text(encoding="utf-8", errors="replace")
    found = []
    for block in text.split(EMAIL_RULE):
        if not re.search(rf"^To: {re.escape(to)}$", block, re.MULTILINE):
            continue
        found += re.findall(rf"https?://\S+/{re.escape(page)}/?#token=\S+", block)
    return found


def wait_for_link(site: Site, to: str, page: str, *, already: int = 0) -> str:
    """The newest link to `page` emailed to `to` once there are more than `already`,
    as a path for the site under test (the server's PUBLIC_BASE_URL is its default)."""
    deadline = time.monotonic() + EMAIL_WAIT_SECONDS
    while True:
        links = emailed_links(site, to, page)
        if len(links) > already:
            parts = urlsplit(links[-1])
            assert parts.fragment.startswith("token="), links[-1]
            return f"{parts.path}#{parts.fragment}"
        if time.monotonic() > deadline:
            pytest.fail(f"no {page} email to {to} in {EMAIL_WAIT_SECONDS:.0f} s")
        time.sleep(0.1)


# --- helpers --------------------------------------------------------------------------------


def api_verify(api: httpx.Client, site: Site, email: str) -> None:
    """Follow the sign-up's verification link over the API (two-factor needs it)."""
    token = unquote(wait_for_link(site, email, "verify-email").partition("#token=")[2])
    response = api.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 204, response.text


def browser_sign_up(page: Page, email: str, name: str, password: str = STRONG_PASSWORD) -> None:
    page.goto("/sign-up/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))


def api_refresh_token(api: httpx.Client, email: str, password: str, **headers: str) -> str:
    """A session of its own, signed in over the API (body mode)."""
    response = api.post(
        "/api/v1/auth/sign-in", json={"email": email, "password": password}, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["refresh_token"])


def api_refresh_token_with_code(api: httpx.Client, email: str, password: str, code: str) -> str:
    """A session of its own for a user with two-factor on (password, then a code)."""
    challenge = api.post("/api/v1/auth/sign-in", json={"email": email, "password": password})
    assert challenge.status_code == 202, challenge.text
    signed_in = api.post(
        "/api/v1/auth/sign-in/totp",
        json={"challenge": challenge.json()["challenge"], "code": code},
    )
    assert signed_in.status_code == 200, signed_in.text
    return str(signed_in.json()["refresh_token"])


def refresh_status(api: httpx.Client, refresh_token: str) -> int:
    response = api.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    return response.status_code


def sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))


def submit_password(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def api_turn_on_two_factor(api: httpx.Client, email: str) -> list[str]:
    """Two-factor on over the API (the email must be verified); its backup codes, each
    good once (unlike app codes, several of them work within one 30-second step)."""
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
    return [str(code) for code in confirmed.json()["backup_codes"]]


def next_totp(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: the API accepts one step either side of now
    and refuses a step at or before the last one used (the enrolment used this one)."""
    return totp.at(time.time() + totp.interval)


# --- the flows ------------------------------------------------------------------------------


def test_a_password_reset_signs_out_every_session(
    tab: Watched, browser: Browser, site: Site, api: httpx.Client
) -> None:
    page = tab.page
    email = unique_email("rosa")
    browser_sign_up(page, email, "Rosa")
    expect(page.get_by_test_id("profile-email")).to_have_text(email)
    assert (refresh_cookie(tab.context) or {}).get("value")
    elsewhere = api_refresh_token(api, email, STRONG_PASSWORD)

    # Somebody (the owner, on another device) asks for a reset and uses the link.
    other = open_page(browser, site)
    try:
        reset = other.page
        reset.goto("/sign-in/")
        reset.get_by_role("link", name="Forgot your password?").click()
        expect(reset).to_have_url(re.compile(r"/reset-password/$"))
        expect(reset.get_by_role("heading", name="Reset your password")).to_be_visible()
        reset.get_by_label("Email").fill(email)
        reset.get_by_role("button", name="Send reset link").click()
        expect(
            reset.get_by_text("If an account exists for this address, we sent a link")
        ).to_be_visible()
        link = wait_for_link(site, email, "reset-password")
        reset.goto(link)
        expect(reset.get_by_label("New password", exact=True)).to_be_visible()
        # The token leaves the address bar once read (no Referer, history or screenshot).
        expect(reset).not_to_have_url(re.compile("token="))
        reset.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        reset.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        reset.get_by_role("button", name="Change password").click()
        expect(reset.get_by_role("heading", name="Password changed")).to_be_visible()
        shot(reset, "reset-password-done")

        # A link works once (opened afresh, as from the email again).
        reset.goto("about:blank")
        reset.goto(link)
        reset.get_by_label("New password", exact=True).fill(OTHER_PASSWORD + " again")
        reset.get_by_label("Repeat the new password").fill(OTHER_PASSWORD + " again")
        reset.get_by_role("button", name="Change password").click()
        expect(alert_in(reset)).to_be_visible()
        expect(reset.get_by_label("Email")).to_be_visible()  # ask for a new link instead
    finally:
        other.context.close()
    assert other.problems == [], "the page broke its CSP or threw"

    # Every session ended: the API client's, and the first browser's.
    assert refresh_status(api, elsewhere) == 401
    page.reload()
    expect(page).to_have_url(re.compile(r"/sign-in/(\?next=%2Fprofile%2F)?$"))
    page.goto("/profile/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2Fprofile%2F$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    submit_password(page, email, STRONG_PASSWORD)
    expect(alert_in(page)).to_have_text("The email or password is incorrect.")
    sign_in(page, email, NEW_PASSWORD)
    expect(page.get_by_test_id("profile-email")).to_have_text(email)


def test_email_verification_through_the_emailed_link(tab: Watched, site: Site) -> None:
    page = tab.page
    email = unique_email("vera")
    browser_sign_up(page, email, "Vera")
    expect(page.get_by_test_id("email-status")).to_have_text("Not verified")

    page.goto(wait_for_link(site, email, "verify-email"))
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
    expect(page).not_to_have_url(re.compile("token="))
    shot(page, "verify-email-done")

    page.get_by_role("link", name="Go to your profile").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_test_id("email-status")).to_have_text("Verified")
    page.reload()
    expect(page.get_by_test_id("email-status")).to_have_text("Verified")

    # A new address needs the current password, and is unverified until its link.
    new_email = unique_email("vera-new")
    page.get_by_label("Email", exact=True).fill(new_email)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#profile-current_password-error")).to_be_visible()
    page.locator("#profile-current_password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("We sent a link to your new address")).to_be_visible()
    expect(page.get_by_test_id("email-status")).to_have_text("Not verified")
    wait_for_link(site, new_email, "verify-email")


def test_two_factor_sign_in_with_an_app_code_then_a_backup_code(
    tab: Watched, api: httpx.Client, site: Site
) -> None:
    page = tab.page
    email = unique_email("otto")
    api_sign_up(api, email, "Otto")
    api_verify(api, site, email)
    sign_in(page, email, STRONG_PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page).to_have_url(re.compile(r"/security/$"))
    expect(page.get_by_test_id("two-factor-status")).to_have_text("Off")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    secret = page.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    shot(page, "security-two-factor-setup")
    page.get_by_label("6-digit code").fill(totp.now())
    page.get_by_role("button", name="Confirm and turn on").click()
    codes = page.get_by_test_id("backup-codes").locator("code")
    expect(codes).to_have_count(10)
    backup_codes = codes.all_inner_texts()
    assert all(re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code) for code in backup_codes)
    page.get_by_role("button", name="I saved them").click()
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    expect(page.get_by_test_id("two-factor-status")).to_have_text("On")

    # The password alone is no longer enough: the code step follows.
    sign_out(page)
    submit_password(page, email, STRONG_PASSWORD)
    expect(page.get_by_role("heading", name="Enter your verification code")).to_be_visible()
    assert not (refresh_cookie(tab.context) or {}).get("value")
    shot(page, "sign-in-code")
    page.get_by_label("Verification code").fill(next_totp(totp))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_test_id("profile-email")).to_have_text(email)

    # No phone: a backup code instead, once.
    sign_out(page)
    submit_password(page, email, STRONG_PASSWORD)
    page.get_by_label("Verification code").fill(backup_codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_test_id("profile-email")).to_have_text(email)

    challenged = api.post(
        "/api/v1/auth/sign-in", json={"email": email, "password": STRONG_PASSWORD}
    )
    assert challenged.status_code == 202, challenged.text
    reused = api.post(
        "/api/v1/auth/sign-in/totp",
        json={"challenge": challenged.json()["challenge"], "code": backup_codes[0]},
    )
    assert reused.status_code == 401


def code_step(page: Page, code: str) -> None:
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))


def test_with_two_factor_on_a_password_change_needs_a_code_and_turning_it_off_signs_out(
    tab: Watched, api: httpx.Client, site: Site
) -> None:
    page = tab.page
    email = unique_email("grete")
    api_sign_up(api, email, "Grete")
    api_verify(api, site, email)
    codes = api_turn_on_two_factor(api, email)
    elsewhere = api_refresh_token_with_code(api, email, STRONG_PASSWORD, codes[0])
    submit_password(page, email, STRONG_PASSWORD)
    code_step(page, codes[1])

    # The page knows two-factor is on: a new email address needs a code as well.
    email = unique_email("grete-new")
    page.get_by_label("Email", exact=True).fill(email)
    page.locator("#profile-current_password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#profile-code-error")).to_have_text(
        "Enter the code from your app or a backup code."
    )
    page.locator("#profile-code").fill(codes[6])
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("We sent a link to your new address")).to_be_visible()
    expect(page.get_by_test_id("profile-email")).to_have_text(email)

    # So does the password change.
    form = page.locator("section").filter(has=page.get_by_role("heading", name="Change password"))
    form.get_by_label("Current password").fill(STRONG_PASSWORD)
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()
    expect(form.locator("#password-code-error")).to_have_text(
        "Enter the code from your app or a backup code."
    )
    code = form.get_by_label("Code from your app or a backup code")
    code.fill("AAAA-BBBB-CCCC-DDDD")
    form.get_by_role("button", name="Change password").click()
    # The API does not say which of the two was wrong, so both are marked.
    expect(form.get_by_role("alert")).to_have_text("The password or the code is incorrect.")
    expect(form.locator("#password-current")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#password-code")).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_value("")
    shot(page, "profile-password-two-factor")
    code.fill(codes[2])
    form.get_by_role("button", name="Change password").click()

    # Every session ended, this one too: signing in again needs a fresh code anyway.
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_text("Password changed. Sign in with your new password.")).to_be_visible()
    assert refresh_status(api, elsewhere) == 401
    submit_password(page, email, NEW_PASSWORD)
    code_step(page, codes[3])

    # The wrong code is in the activity, in words.
    page.goto("/security/")
    activity = page.get_by_role("list", name="Your account activity")
    expect(
        activity.locator("strong").filter(
            has_text=re.compile(r"^Wrong password or code when changing the password$")
        )
    ).to_have_count(1)

    # Turning two-factor off ends every session, this one included: back to sign-in.
    elsewhere = api_refresh_token_with_code(api, email, NEW_PASSWORD, codes[4])
    page.get_by_role("button", name="Turn off two-factor authentication").click()
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Code from your app or a backup code").fill(codes[5])
    page.get_by_role("button", name="Turn off", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_text("Two-factor authentication is off.")).to_be_visible()
    shot(page, "sign-in-after-two-factor-off")
    assert not (refresh_cookie(tab.context) or {}).get("value")
    assert refresh_status(api, elsewhere) == 401
    # The password alone signs in now.
    sign_in(page, email, NEW_PASSWORD)
    page.goto("/security/")
    expect(page.get_by_test_id("two-factor-status")).to_have_text("Off")


def test_deleting_an_account_with_two_factor_on_needs_a_code(
    tab: Watched, api: httpx.Client, site: Site
) -> None:
    page = tab.page
    email = unique_email("dora")
    api_sign_up(api, email, "Dora")
    api_verify(api, site, email)
    sign_in(page, email, STRONG_PASSWORD)
    # Turned on elsewhere after this page loaded: the page does not know yet.
    codes = api_turn_on_two_factor(api, email)

    page.get_by_role("button", name="Delete my account…").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    code = dialog.get_by_label("Code from your app or a backup code")
    expect(code).to_have_count(0)
    dialog.get_by_label("Current password").fill(STRONG_PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    # The API asks for a code: the dialog shows the field, with the API's words.
    expect(dialog.locator("#delete-code-error")).to_have_text(
        "Enter a code from your authenticator app."
    )
    expect(code).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Once the page knows, the code is asked for from the start.
    page.reload()
    page.get_by_role("button", name="Delete my account…").click()
    expect(code).to_be_visible()
    dialog.get_by_label("Current password").fill(STRONG_PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.locator("#delete-code-error")).to_have_text(
        "Enter the code from your app or a backup code."
    )
    code.fill("AAAA-BBBB-CCCC-DDDD")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.get_by_role("alert")).to_have_text("The password or the code is incorrect.")
    shot(page, "profile-delete-two-factor")
    code.fill(codes[0])
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_text("Your account was deleted.")).to_be_visible()
    gone = api.post("/api/v1/auth/sign-in", json={"email": email, "password": STRONG_PASSWORD})
    assert gone.status_code == 401


def test_an_admin_who_changes_their_own_role_is_signed_out(
    tab: Watched, api: httpx.Client, site: Site
) -> None:
    page = tab.page
    email = unique_email("grace-admin")
    created = api.post(
        "/api/v1/users",
        json={"email": email, "password": STRONG_PASSWORD, "name": "Grace", "role": "admin"},
        headers=api_bearer(api, ADMIN_EMAIL, ADMIN_PASSWORD),
    )
    assert created.status_code == 201, created.text
    api_verify(api, site, email)  # admins act only with a verified address
    elsewhere = api.post(
        "/api/v1/auth/sign-in", json={"email": email, "password": STRONG_PASSWORD}
    ).json()["refresh_token"]
    sign_in(page, email, STRONG_PASSWORD)

    page.goto("/admin/users/")
    row = page.get_by_role("row").filter(has_text=email)
    next_page = page.get_by_role("button", name="Next page")
    expect(page.locator("table.users tbody tr").first).to_be_visible()
    while not row.is_visible() and next_page.is_enabled():
        next_page.click()
        page.wait_for_load_state("networkidle")
    expect(row).to_contain_text("you")
    row.get_by_label(f"Role of {email}").select_option("user")
    row.get_by_role("button", name=f"Save role of {email}").click()

    # The role is in the access tokens: every session of the user ended, this one too.
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(
        page.get_by_text("Your role changed, so every session of yours was signed out.")
    ).to_be_visible()
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": elsewhere}).status_code == 401
    sign_in(page, email, STRONG_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)


def test_sessions_list_and_sign_out_everywhere_else(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    email = unique_email("sal")
    signed_up = api_sign_up(api, email, "Sal")
    # Sign-up's own session ends, so the list holds exactly the two below.
    ended = api.post(
        "/api/v1/auth/sign-out", json={"refresh_token": signed_up["tokens"]["refresh_token"]}
    )
    assert ended.status_code == 204
    agent = f"e2e-sessions-probe/{uuid.uuid4().hex[:8]}"
    elsewhere = api_refresh_token(api, email, STRONG_PASSWORD, **{"User-Agent": agent})
    sign_in(page, email, STRONG_PASSWORD)

    page.goto("/security/")
    sessions = page.get_by_role("list", name="Your sessions").get_by_role("listitem")
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_contain_text("This device")  # listed first
    expect(sessions.filter(has_text="This device")).to_have_count(1)
    expect(sessions.filter(has_text=agent)).to_have_count(1)
    expect(sessions.filter(has_text=agent)).not_to_contain_text("This device")
    shot(page, "security-sessions")

    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(
        page.get_by_text("Signed out everywhere else. This device stays signed in.")
    ).to_be_visible()
    expect(sessions).to_have_count(1)
    expect(sessions.first).to_contain_text("This device")
    assert refresh_status(api, elsewhere) == 401

    # This device carries on.
    page.reload()
    expect(page).to_have_url(re.compile(r"/security/$"))
    expect(sessions).to_have_count(1)

    # Signed out from another device: this one's access token stops working at once,
    # and its next request ends the session here with a notice.
    bearer = api_bearer(api, email, STRONG_PASSWORD)
    listed = api.get("/api/v1/users/me/sessions", headers=bearer).json()["items"]
    (browser_session,) = [item for item in listed if not item["current"]]
    revoked = api.delete(f"/api/v1/users/me/sessions/{browser_session['id']}", headers=bearer)
    assert revoked.status_code == 204, revoked.text
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2Fprofile%2F$"))
    expect(page.get_by_text("Your session has ended. Please sign in again.")).to_be_visible()


def test_activity_lists_the_sign_in_events(tab: Watched, api: httpx.Client) -> None:
    page = tab.page
    email = unique_email("ada")
    api_sign_up(api, email, "Ada")
    failed = api.post("/api/v1/auth/sign-in", json={"email": email, "password": OTHER_PASSWORD})
    assert failed.status_code == 401
    sign_in(page, email, STRONG_PASSWORD)

    page.goto("/security/")
    activity = page.get_by_role("list", name="Your account activity")
    headline = activity.locator("strong")
    expect(headline.filter(has_text=re.compile(r"^Signed in$"))).not_to_have_count(0)
    expect(headline.filter(has_text=re.compile(r"^Failed sign-in attempt$"))).to_have_count(1)
    expect(headline.filter(has_text=re.compile(r"^Account created \(sign-up\)$"))).to_have_count(1)
    # Newest first: the browser's sign-in heads the list.
    expect(headline.first).to_have_text("Signed in")
    shot(page, "security-activity")


def test_account_pages_pass_axe_at_wcag_aa(browser: Browser, site: Site, api: httpx.Client) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make frontend` (npm ci).")
    # axe is injected as a script, which the pages' own CSP rightly refuses.
    context = browser.new_context(base_url=site.base_url, viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    email = unique_email("axel")
    api_sign_up(api, email, "Axel")
    api_verify(api, site, email)
    found: dict[str, list[str]] = {}
    try:
        page.goto("/reset-password/")
        expect(page.get_by_role("button", name="Send reset link")).to_be_visible()
        found["/reset-password/"] = axe_violations(page)
        page.get_by_role("button", name="Send reset link").click()  # with its error message
        expect(page.locator("#reset-email-error")).to_be_visible()
        found["/reset-password/ (errors)"] = axe_violations(page)
        page.goto("/reset-password/#token=not-a-real-token")
        expect(page.get_by_label("New password", exact=True)).to_be_visible()
        found["/reset-password/#token="] = axe_violations(page)

        page.goto("/verify-email/")
        expect(page.get_by_role("button", name="Send a new link")).to_be_visible()
        found["/verify-email/"] = axe_violations(page)
        page.goto("/verify-email/#token=not-a-real-token")
        expect(alert_in(page)).to_be_visible()
        found["/verify-email/ (invalid link)"] = axe_violations(page)

        sign_in(page, email, STRONG_PASSWORD)
        page.get_by_role("button", name="Delete my account…").click()
        dialog = page.get_by_role("dialog", name="Delete your account?")
        dialog.get_by_role("button", name="Delete my account").click()  # with its error
        expect(dialog.locator("#delete-password-error")).to_be_visible()
        found["/profile/ (delete dialog)"] = axe_violations(page)
        page.keyboard.press("Escape")
        page.goto("/security/")
        # Sign-up's session (over the API) and this browser's, with a sign-out button.
        expect(
            page.get_by_role("list", name="Your sessions").get_by_role("listitem")
        ).to_have_count(2)
        expect(page.get_by_role("list", name="Your account activity")).to_be_visible()
        found["/security/"] = axe_violations(page)
        page.get_by_role("button", name="Turn on two-factor authentication").click()
        page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("two-factor-secret")).to_be_visible()
        found["/security/ (two-factor setup)"] = axe_violations(page)
    finally:
        context.close()

    assert {path: v for path, v in found.items() if v} == {}
