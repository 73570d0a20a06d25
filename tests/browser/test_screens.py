"""The main screens as a colleague sees them, saved to docs/images/ for the README; and the admin page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.test_features import png_bytes
from tests.browser.ui import message, new_page, open_room, register, send, settle, unique


def test_main_screens(browser: Browser, own_server, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    ctxs = [browser.new_context(device_scale_factor=1) for _ in range(3)]
    pages = [new_page(c) for c in ctxs]
    errors: list[str] = []
    for p in pages:
        p.on("pageerror", lambda e: errors.append(str(e)))
    me, p2, p3 = pages
    pages[0].goto(base + "/")
    expect(me.get_by_test_id("login-username")).to_be_visible()
    me.screenshot(path=str(screenshots / "login.png"))
    names = [("jiyoon", "김지윤"), ("minho", "이민호"), ("seoyeon", "박서연")]
    users = [unique(u) for u, _ in names]
    for page, user, (_, display) in zip(pages, users, names, strict=True):
        register(page, base, user, display)
    # 김지윤 (the first account, server admin) makes a group room with both colleagues.
    me.get_by_test_id("new-room").click()
    me.locator('input[name="type"][value="group"]').check()
    me.locator('input[name="name"]').fill("개발팀 🚀")
    for user in users[1:]:
        me.locator("#user-search").fill(user)
        me.locator(f'[data-testid="user-result"]:has-text("@{user}")').click()
    me.locator("#new-room-create").click()
    expect(me.get_by_test_id("composer-input")).to_be_visible()
    room_id = me.evaluate("() => window.__im.state.currentRoomId")
    for p in (p2, p3):
        open_room(p, room_id)
    send(me, "좋은 아침입니다! 오늘 **배포** 일정 공유드려요 ☀️")
    expect(message(p2, "좋은 아침")).to_have_count(1)
    send(p2, "네, 확인했습니다. 릴리스 노트는 https://wiki.intranet.local/release/2.4 에 있어요")
    send(p3, "QA는 오후 3시까지 끝낼게요 👍\n회귀 테스트 `smoke-suite` 먼저 돌립니다")
    expect(message(me, "QA는")).to_have_count(1)
    p2.get_by_test_id("attach-input").set_input_files(
        files=[{"name": "배포-체크리스트.png", "mimeType": "image/png", "buffer": png_bytes("#8ecae6", (480, 300))}])
    expect(me.locator("img.thumb")).to_have_count(1, timeout=15000)
    msg = message(p2, "QA는")
    msg.hover()
    msg.locator('[data-act="react"]').click()
    p2.locator('#emoji-body [data-emoji="👍"]').click()
    me.locator("#poll-open").click()
    me.get_by_test_id("poll-question").fill("회식 장소는 어디가 좋을까요?")
    opts = me.locator(".poll-option-input")
    opts.nth(0).fill("삼겹살")
    opts.nth(1).fill("초밥")
    me.get_by_test_id("poll-submit").click()
    option = p3.locator('[data-testid="poll-option"]', has_text="초밥")
    option.click()
    expect(option).to_have_class("poll-opt voted")
    p2.locator('[data-testid="poll-option"]', has_text="초밥").click()
    send(p3, f"@{users[0]} 회의실 예약은 제가 할게요")
    expect(message(me, "회의실 예약")).to_have_count(1)
    expect(me.locator('[data-testid="poll-option"]', has_text="초밥")).to_contain_text("2")
    me.mouse.move(5, 790)
    settle(me)
    me.screenshot(path=str(screenshots / "chat.png"))
    me.get_by_test_id("search-input").fill("배포")
    expect(me.get_by_test_id("search-result").first).to_be_visible()
    settle(me)
    me.screenshot(path=str(screenshots / "search.png"))
    # Dark theme renders too (settings -> theme).
    me.locator("#settings-open").click()
    me.locator("#settings-body select").first.select_option("dark")
    assert me.evaluate("() => document.documentElement.dataset.theme") == "dark"
    me.locator("#settings-dialog").press("Escape")
    assert errors == []
    for c in ctxs:
        c.close()
