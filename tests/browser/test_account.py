"""Self-service in the browser: log out everywhere (the other device is signed out at once) and delete
one's own account with the password (the partner then sees the messages from "탈퇴한 사용자")."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.ui import PASSWORD, login, message, new_page, open_direct, open_room, register, send, unique


def test_logout_everywhere_and_delete_my_account(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    ctx, ctx2, other = browser.new_context(), browser.new_context(), browser.new_context()
    page, second, op = new_page(ctx), new_page(ctx2), new_page(other)
    me, peer = unique("leaver"), unique("stayer")
    register(op, server.url, peer, "박지훈")
    register(page, server.url, me, "김민지")
    login(second, server.url, me)
    room = open_direct(page, peer)
    send(page, "그동안 감사했습니다")
    # Log out everywhere from the first device: the second one is signed out at once.
    page.locator("#settings-open").click()
    page.get_by_test_id("logout-all").click()
    expect(page.locator("#auth-view")).to_be_visible()
    expect(second.locator("#auth-view")).to_be_visible(timeout=10000)
    # Delete the account, confirmed with the password.
    login(page, server.url, me)
    page.locator("#settings-open").click()
    page.locator("summary", has_text="계정 삭제").click()
    page.get_by_test_id("delete-account-password").fill("wrong-password")
    page.get_by_test_id("delete-account").click()
    expect(page.locator("#toast")).to_be_visible()
    expect(page.locator("#main-view")).to_be_visible()
    page.get_by_test_id("delete-account-password").fill(PASSWORD)
    page.get_by_test_id("delete-account").click()
    expect(page.locator("#auth-view")).to_be_visible()
    expect(page.locator("#auth-notice")).to_have_text("계정을 삭제했습니다.")
    # The partner still has the message, now from "탈퇴한 사용자".
    open_room(op, room)
    kept = message(op, "그동안 감사했습니다")
    expect(kept).to_have_count(1)
    expect(kept.locator(".sender")).to_have_text("탈퇴한 사용자")
    for c in (ctx, ctx2, other):
        c.close()
