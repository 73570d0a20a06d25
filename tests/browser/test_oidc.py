"""The OIDC button appears when /api/auth/providers lists oidc, and a company login lands in the app.

Uses the same real OpenID Provider as the admin tests (npm ``oidc-provider`` on loopback)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.admin.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from tests.browser.server import ServerProcess
from tests.browser.ui import new_page
from tests.services import free_port


def test_oidc_button_logs_in_through_the_provider(browser: Browser, tmp_path: Path) -> None:
    port = free_port()
    with oidc_provider(f"http://127.0.0.1:{port}/auth/oidc/callback") as provider:
        server = ServerProcess(tmp_path / "data", port=port, env={
            "FEATURE_OIDC_ENABLED": "true", "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ISSUER_URL": provider.issuer, "OIDC_PROVIDER_NAME": "사내 SSO"})
        server.start()
        try:
            ctx = browser.new_context()
            page = new_page(ctx)
            page.goto(server.url + "/")
            button = page.locator("#oidc-login")
            expect(button).to_be_visible()
            expect(button).to_have_text("사내 SSO(으)로 로그인")
            button.click()
            # The provider's development login and consent forms.
            page.locator('input[name="login"]').fill("sso.user")
            page.locator('input[name="password"]').fill("any")
            page.locator('button[type="submit"]').click()
            if page.locator('button[type="submit"]').count() and "/interaction/" in page.url:
                page.locator('button[type="submit"]').click()
            expect(page.get_by_test_id("room-list")).to_be_visible(timeout=15000)
            expect(page.locator("#me-name")).not_to_be_empty()
            ctx.close()
        finally:
            server.stop()
