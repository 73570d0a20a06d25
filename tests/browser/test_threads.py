"""Threads in the browser: a thread conversation between two people with the root's reply count
updating live, "채널에도 보내기", the threads view with an unread thread, and the panel at 375 px."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.ui import (
    PHONE,
    create_group,
    message,
    open_direct,
    open_room,
    send,
    sign_up,
)


def test_thread_conversation_with_live_reply_count(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (_, bob), errors = people.pages, people.names, people.errors
    room = open_direct(a, bob)
    send(a, "배포 일정 정해요")
    root = message(a, "배포 일정 정해요")
    expect(root).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    open_room(b, room)
    # B starts the thread from the message's actions.
    theirs = message(b, "배포 일정 정해요")
    theirs.hover()
    theirs.locator('[data-act="thread"]').click()
    panel = b.get_by_test_id("thread-panel")
    expect(panel).to_be_visible()
    # A side panel docked at the right of the chat, not a dialog: the room stays visible beside it.
    expect(panel.get_by_test_id("thread-input")).to_be_focused()
    assert panel.evaluate("el => el.tagName") == "ASIDE"
    chat, side = b.get_by_test_id("message-list").bounding_box(), panel.bounding_box()
    assert chat and side and chat["width"] > 300 and chat["x"] + chat["width"] <= side["x"] + 1, (chat, side)
    assert side["x"] + side["width"] >= (b.viewport_size or {"width": 0})["width"] - 1
    panel.get_by_test_id("thread-input").fill("금요일 어때요?")
    panel.get_by_test_id("thread-input").press("Enter")
    expect(panel.get_by_test_id("thread-message")).to_contain_text(["금요일 어때요?"])
    # A sees the count on the root at once; the reply is not in the room's list.
    count = root.get_by_test_id("thread-reply-count")
    expect(count).to_contain_text("답글 1개")
    expect(count).to_contain_text("이서준")
    expect(message(a, "금요일 어때요?")).to_have_count(0)
    # A opens the thread from the count and answers, also to the room.
    count.click()
    pa = a.get_by_test_id("thread-panel")
    expect(pa.get_by_test_id("thread-message")).to_contain_text(["금요일 어때요?"])
    pa.get_by_test_id("thread-also-channel").check()
    pa.get_by_test_id("thread-input").fill("좋아요 금요일 3시로")
    pa.get_by_test_id("thread-send").click()
    expect(panel.get_by_test_id("thread-message")).to_contain_text(["금요일 어때요?", "좋아요 금요일 3시로"])
    # The room is usable beside the open panel: B writes in the room while the thread stays open.
    send(b, "방에도 한마디")
    expect(message(a, "방에도 한마디")).to_have_count(1)
    expect(panel).to_be_visible()
    # Keyboard: Esc in the panel closes it and focus goes back to where it was before it opened.
    opener = theirs.get_by_test_id("thread-reply-count")
    opener.focus()
    opener.press("Enter")
    expect(panel.get_by_test_id("thread-input")).to_be_focused()
    panel.get_by_test_id("thread-input").press("Escape")
    expect(panel).to_be_hidden()
    expect(opener).to_be_focused()
    expect(message(b, "좋아요 금요일 3시로")).to_have_count(1)  # also sent to the room
    expect(message(b, "배포 일정 정해요").get_by_test_id("thread-reply-count")).to_contain_text("답글 2개")
    # B's threads view lists the thread; it was read in the panel.
    b.get_by_test_id("threads-open").click()
    item = b.get_by_test_id("thread-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("배포 일정 정해요")
    assert errors == []
    people.close()


def test_thread_panel_on_a_phone(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("desk", "박지훈"), ("phone", "최유나"), contexts=[{}, PHONE])
    (_, page), (peer, _) = people.pages, people.names
    open_direct(page, peer)
    send(page, "스레드로 이야기해요 " * 5)
    node = message(page, "스레드로 이야기해요")
    expect(node).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    node.locator(".bubble").tap(position={"x": 6, "y": 6})
    node.locator('[data-act="thread"]').tap()
    panel = page.get_by_test_id("thread-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    # A full-screen sheet at a phone's width.
    assert box and box["x"] == 0 and box["width"] == 375 and box["height"] >= 700, box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    send_box = panel.get_by_test_id("thread-send").bounding_box()
    assert send_box and send_box["x"] + send_box["width"] <= 375 and send_box["y"] + send_box["height"] <= 740
    panel.get_by_test_id("thread-input").fill("폰에서 답글")
    panel.get_by_test_id("thread-send").tap()
    expect(panel.get_by_test_id("thread-message")).to_contain_text(["폰에서 답글"])
    panel.get_by_role("button", name="닫기").tap()
    expect(panel).to_be_hidden()
    expect(node.get_by_test_id("thread-reply-count")).to_contain_text("답글 1개")
    people.close()


def _alerts(page: Page) -> dict[str, int]:
    return page.evaluate("() => ({...window.__im.state.alerts})")


def test_thread_reply_alerts_follow_the_room_level(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """A reply in a thread I take part in alerts me like a room message (toast, sound, the title's count),
    clicking the toast opens the thread at that reply; level "none" never alerts, "mentions" only when the
    reply mentions me."""
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (alice, bob), errors = people.pages, people.names, people.errors
    room = create_group(a, "기획팀", [bob])
    send(a, "배포 일정 논의")
    root = message(a, "배포 일정 논의")
    expect(root).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    open_room(b, room)
    theirs = message(b, "배포 일정 논의")
    theirs.hover()
    theirs.locator('[data-act="thread"]').click()
    box = b.get_by_test_id("thread-panel").get_by_test_id("thread-input")

    def reply(text: str, count: int) -> None:
        box.fill(text)
        box.press("Enter")
        # A has the thread_updated of this reply: any thread_reply sent with it has arrived too.
        expect(root.get_by_test_id("thread-reply-count")).to_contain_text(f"답글 {count}개")

    # Level "all": A (the root's author) is in the room, the reply is only in the thread: a toast and the sound.
    a.locator("#composer-input").click()  # a user gesture: the page may play sound
    reply("금요일 어때요?", 1)
    toast = a.get_by_test_id("toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("이서준 · 기획팀 · 스레드 답글")
    expect(toast).to_contain_text("금요일 어때요?")
    a.wait_for_function("() => window.__im.state.alerts.played >= 1")
    expect(a).to_have_title("(1) 사내 메신저")  # the unread thread counts in the title
    # The toast opens the thread panel at that reply.
    toast.click()
    panel = a.get_by_test_id("thread-panel")
    expect(panel).to_be_visible()
    expect(panel.locator('[data-testid="thread-message"][data-focused="true"]')).to_contain_text("금요일 어때요?")
    expect(a).to_have_title("사내 메신저")
    a.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # Level "none": nothing pops up, nothing sounds.
    a.get_by_test_id("notify-level").select_option("none")
    expect(a.get_by_test_id("notify-level")).to_have_value("none")
    before = _alerts(a)
    reply("조용한 답글", 2)
    assert _alerts(a) == before and toast.count() == 0
    # Level "mentions": only a reply that mentions me.
    a.get_by_test_id("notify-level").select_option("mentions")
    expect(a.get_by_test_id("notify-level")).to_have_value("mentions")
    reply("그냥 답글", 3)
    assert _alerts(a)["toasts"] == before["toasts"] and toast.count() == 0
    reply(f"@{alice} 확인 부탁해요", 4)
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("확인 부탁해요")
    assert _alerts(a)["toasts"] == before["toasts"] + 1
    # The unread thread counts in the title and the threads badge until "mark everything read".
    expect(a).to_have_title("(1) 사내 메신저")
    expect(a.locator("#threads-badge")).to_have_text("1")
    a.get_by_test_id("read-all").click()
    expect(a).to_have_title("사내 메신저")
    expect(a.locator("#threads-badge")).to_be_hidden()
    assert errors == []
    people.close()


def test_a_search_hit_on_a_thread_only_reply_opens_its_thread(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (_, bob) = people.pages, people.names
    room = create_group(a, "영업팀", [bob])
    send(a, "이번 분기 이야기")
    root = message(a, "이번 분기 이야기")
    expect(root).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    # Enough replies from B (through the API, as the client sends them) that the one searched for is
    # scrolled out of the panel when it opens.
    b.evaluate("""async ([room, root]) => {
      const { csrf_token: token } = await (await fetch('/api/me')).json();
      for (let i = 1; i <= 25; i++) {
        const r = await fetch(`/api/rooms/${room}/messages`, { method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
          body: JSON.stringify({ content: i === 3 ? '견적서 검토 끝났어요' : `답글 ${i}`, thread_root_id: root }) });
        if (r.status !== 201) throw new Error('reply ' + r.status);
      }
    }""", [room, int(root.get_attribute("data-message-id") or 0)])
    expect(root.get_by_test_id("thread-reply-count")).to_contain_text("답글 25개")
    open_direct(a, bob)  # somewhere else first
    expect(a.locator("#room-name")).to_have_text("이서준")
    a.get_by_test_id("search-input").fill("견적서")
    hit = a.get_by_test_id("search-result")
    expect(hit).to_have_count(1)
    hit.click()
    expect(a.locator("#room-name")).to_have_text("영업팀")
    panel = a.get_by_test_id("thread-panel")
    expect(panel).to_be_visible()
    focused = panel.locator('[data-testid="thread-message"][data-focused="true"]')
    expect(focused).to_contain_text("견적서 검토 끝났어요")
    expect(focused).to_be_in_viewport()
    expect(panel.get_by_test_id("thread-message").last).not_to_be_in_viewport()
    people.close()
