"""Notifications in the browser: a toast and the bundled sound for a message in another room, the
per-room level, a mention badge, nothing during quiet hours, and "mark everything read"."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.ui import create_group, message, open_direct, open_room, send, sign_up


def _alerts(page: Page) -> dict[str, int]:
    return page.evaluate("() => ({...window.__im.state.alerts})")


def test_toast_sound_level_mention_badge_quiet_hours_and_read_all(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (_, bob), errors = people.pages, people.names, people.errors
    direct = open_direct(a, bob)
    send(a, "1:1 시작")
    # No room open yet: the direct message pops up; clicking it opens the 1:1 room.
    toast = b.get_by_test_id("toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("1:1 시작")
    toast.click()
    expect(message(b, "1:1 시작")).to_be_visible()
    expect(toast).to_have_count(0)
    group = create_group(a, "기획팀", [bob])
    # A message in another room: a toast (this is plain HTTP: no OS notification) and the sound.
    send(a, "기획안 초안 올렸습니다")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("김민지 · 기획팀")
    expect(toast).to_contain_text("기획안 초안")
    b.wait_for_function("() => window.__im.state.alerts.played >= 1")  # the bundled sound really played
    # Clicking the toast opens that room at the message.
    toast.click()
    expect(b.locator("#room-name")).to_have_text("기획팀")
    expect(message(b, "기획안 초안")).to_be_visible()
    # Only mentions from this room from now on.
    b.get_by_test_id("notify-level").select_option("mentions")
    expect(b.get_by_test_id("notify-level")).to_have_value("mentions")
    open_room(b, direct)
    item = b.locator(f'[data-testid="room-item"][data-room-id="{group}"]')
    before = _alerts(b)
    send(a, "그냥 공유드려요")
    expect(item.get_by_test_id("unread-badge")).to_have_text("1")
    assert _alerts(b)["toasts"] == before["toasts"] and b.get_by_test_id("toast").count() == 0
    send(a, f"@{bob} 검토 부탁드려요")
    expect(b.get_by_test_id("toast")).to_have_count(1)
    expect(item.get_by_test_id("mention-badge")).to_have_text("@1")
    expect(item.get_by_test_id("unread-badge")).to_have_text("2")
    # Quiet hours, the whole day (start = end), from the settings: the counts go up, nothing pops up.
    b.locator("#settings-open").click()
    b.get_by_test_id("settings-quiet").check()
    with b.expect_response(lambda r: "/api/me/preferences" in r.url and r.request.method == "PATCH"):
        b.locator('#settings-body input[type="time"]').first.fill("09:00")
    with b.expect_response(lambda r: "/api/me/preferences" in r.url and r.request.method == "PATCH"):
        b.locator('#settings-body input[type="time"]').nth(1).fill("09:00")
    b.locator("#settings-dialog").press("Escape")
    b.get_by_test_id("toast").first.click()  # the earlier toast, out of the way
    open_room(b, direct)
    quiet = _alerts(b)
    send(a, f"@{bob} 퇴근 후에 미안해요")
    expect(item.get_by_test_id("mention-badge")).to_have_text("@1")
    expect(item.get_by_test_id("unread-badge")).to_have_text("1")
    after = _alerts(b)
    assert (after["toasts"], after["sounds"]) == (quiet["toasts"], quiet["sounds"])
    assert b.get_by_test_id("toast").count() == 0
    # Mark everything read.
    b.get_by_test_id("read-all").click()
    expect(item.get_by_test_id("unread-badge")).to_have_count(0)
    expect(item.get_by_test_id("mention-badge")).to_have_count(0)
    expect(b).to_have_title("사내 메신저")
    assert errors == []
    people.close()
