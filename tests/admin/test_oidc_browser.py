"""The SSO path in a real browser (Playwright + Debian Chromium): the web client's "회사 계정으로 로그인"
button, the provider's login and consent pages, back in the messenger logged in."""

from __future__ import annotations

import time
from typing import Any

from tests.admin.conftest import Sso


def test_sso_login_in_the_browser(sso: Sso, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(sso.base + "/")
    button = page.locator("#oidc-login")
    expect(button).to_be_visible()
    t0 = time.monotonic()
    button.click()
    page.locator('input[name="login"]').fill("minji")
    page.locator('input[name="password"]').fill("any")
    page.locator('button[type="submit"]').click()
    page.locator('button[type="submit"]').click()  # consent: "Continue"
    page.wait_for_url(sso.base + "/")
    expect(page.get_by_test_id("room-list")).to_be_visible()
    page.wait_for_function("() => window.__im && window.__im.state.connected === true")
    print(f"\nSSO in Chromium: button to connected messenger in {time.monotonic() - t0:.2f} s")
    me = page.evaluate("() => fetch('/api/me').then(r => r.json())")
    assert me["user"]["username"] == "minji" and me["user"]["display_name"] == "Test minji"
