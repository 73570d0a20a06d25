"""Language in the web client: the chosen language is stored with the user and follows them to any PC."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.ui import login, new_page, register, unique


def test_language_chosen_on_one_pc_follows_the_user_to_another(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    pc1, pc2 = browser.new_context(), browser.new_context()
    a = new_page(pc1)
    errors: list[str] = []
    a.on("pageerror", lambda e: errors.append(str(e)))
    name = unique("lang")
    register(a, server.url, name, "언어")
    expect(a.locator("html")).to_have_attribute("lang", "ko")
    a.locator("#settings-open").click()
    a.get_by_test_id("settings-language").select_option("en")
    expect(a.locator("#settings-body h3")).to_have_text("Settings")
    a.wait_for_function("() => window.__im.state.preferences && window.__im.state.preferences.language === 'en'")
    # A second PC whose browser has never seen this user (Korean by default) shows English after login.
    b = new_page(pc2)
    b.on("pageerror", lambda e: errors.append(str(e)))
    login(b, server.url, name)
    expect(b.locator("html")).to_have_attribute("lang", "en")
    b.locator("#settings-open").click()
    expect(b.locator("#settings-body h3")).to_have_text("Settings")
    expect(b.get_by_test_id("settings-language")).to_have_value("en")
    # Back to Korean on PC2: PC1, still open, switches too (the preferences event).
    b.get_by_test_id("settings-language").select_option("ko")
    expect(b.locator("#settings-body h3")).to_have_text("설정")
    expect(a.locator("html")).to_have_attribute("lang", "ko")
    assert errors == []
    pc1.close()
    pc2.close()
