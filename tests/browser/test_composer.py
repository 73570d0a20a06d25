"""The composer and the keyboard in the browser: the emoji picker (Korean search, recently used first),
per-room drafts across room switches and a reload, the @mention picker and mentions shown by display
name, ↑ to edit the last message, Ctrl+K and Alt+↑/↓, and the unsent queue sent once after a reload."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, expect

from tests.browser.ui import PHONE, message, new_page, open_direct, open_room, register, reload, send, sign_up, unique


def test_emoji_picker_search_and_recent_first(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("peer", "박지훈"), ("emo", "김민지"))
    (_, page), (peer, _) = people.pages, people.names
    open_direct(page, peer)
    box = page.get_by_test_id("composer-input")
    box.fill("점심 ")
    page.get_by_test_id("emoji-open").click()
    picker = page.get_by_test_id("emoji-picker")
    expect(picker).to_be_visible()
    picker.get_by_test_id("emoji-search").fill("커피")
    expect(picker.locator("[data-emoji]")).to_have_count(1)
    picker.get_by_test_id("emoji-search").press("Enter")
    expect(picker).to_be_hidden()
    expect(box).to_have_value("점심 ☕")
    page.get_by_test_id("emoji-open").click()
    expect(picker.get_by_test_id("emoji-recent").locator("[data-emoji]").first).to_have_attribute("data-emoji", "☕")
    picker.get_by_test_id("emoji-search").fill("thumbs up")
    picker.locator('[data-emoji="👍"]').click()
    expect(box).to_have_value("점심 ☕👍")
    box.press("Enter")
    expect(message(page, "점심 ☕👍")).to_have_count(1)
    people.close()


def test_drafts_survive_room_switches_and_reload(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context()
    page = new_page(ctx)
    peers = [unique("p"), unique("q")]
    for name, display in zip(peers, ("박지훈", "최유나"), strict=True):
        register(new_page(browser.new_context()), server.url, name, display)
    me = unique("drafter")
    register(page, server.url, me, "김민지")
    first = open_direct(page, peers[0])
    expect(page.locator("#room-name")).to_have_text("박지훈")
    send(page, "첫 방")
    second = open_direct(page, peers[1])
    expect(page.locator("#room-name")).to_have_text("최유나")
    send(page, "둘째 방")
    open_room(page, first)
    box = page.get_by_test_id("composer-input")
    box.fill("아직 보내지 않은 초안")
    open_room(page, second)
    expect(box).to_have_value("")
    open_room(page, first)
    expect(box).to_have_value("아직 보내지 않은 초안")
    reload(page)
    open_room(page, first)
    expect(box).to_have_value("아직 보내지 않은 초안")
    box.press("Enter")  # sending clears it for good
    expect(message(page, "아직 보내지 않은 초안")).to_have_count(1)
    reload(page)
    open_room(page, first)
    expect(box).to_have_value("")


def test_keyboard_ctrl_k_alt_arrows_up_to_edit_and_mentions(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("lee", "이서준"), ("choi", "최유나"), ("kim", "김민지"))
    (_, _, page), (peer, third, _) = people.pages, people.names
    errors = people.errors
    with_choi = open_direct(page, third)
    expect(page.locator("#room-name")).to_have_text("최유나")
    send(page, "최유나님 안녕하세요")
    with_lee = open_direct(page, peer)
    expect(page.locator("#room-name")).to_have_text("이서준")
    # The mention picker shows display names; the sent mention reads as the display name.
    box = page.get_by_test_id("composer-input")
    box.fill("@이서")
    expect(page.locator("#mention-menu li")).to_contain_text("이서준")
    box.press("Enter")
    box.type("확인 부탁드려요")
    box.press("Enter")
    sent = message(page, "확인 부탁드려요")
    expect(sent.locator(".mention")).to_have_text("@이서준")
    # ↑ in the empty box edits my last message.
    expect(sent).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    box.press("ArrowUp")
    edit_box = page.locator(".edit-box")
    expect(edit_box).to_be_visible()
    edit_box.fill("수정했습니다")
    edit_box.press("Enter")
    expect(message(page, "수정했습니다")).to_have_count(1)
    # Ctrl+K: find the other room by 초성 and open it with Enter.
    page.keyboard.press("Control+k")
    switcher = page.get_by_test_id("room-switcher")
    expect(switcher).to_be_visible()
    page.keyboard.type("ㅊㅇ")
    expect(switcher.get_by_test_id("switcher-item")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(switcher).to_be_hidden()
    expect(page.locator("#room-name")).to_have_text("최유나")
    assert page.evaluate("() => window.__im.state.currentRoomId") == with_choi
    # Alt+↑ / Alt+↓ walk the room list in its shown order (the announcement room is in it too).
    order = page.evaluate("() => [...document.querySelectorAll('#room-list [data-testid=room-item]')]"
                          ".map((e) => Number(e.dataset.roomId))")
    assert with_lee in order
    at = order.index(with_choi)
    away, back = ("Alt+ArrowUp", "Alt+ArrowDown") if at > 0 else ("Alt+ArrowDown", "Alt+ArrowUp")
    neighbour = order[at - 1] if at > 0 else order[at + 1]
    page.keyboard.press(away)
    page.wait_for_function(f"() => window.__im.state.currentRoomId === {neighbour}")
    page.keyboard.press(back)
    page.wait_for_function(f"() => window.__im.state.currentRoomId === {with_choi}")
    expect(page.locator("#room-name")).to_have_text("최유나")
    assert errors == []
    people.close()


def test_unsent_queue_is_sent_once_after_a_reload(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """A message the last session could not send (kept in this browser) goes out after a reload, once,
    even when two reloads both find it."""
    people = sign_up(browser, server.url, ("reader", "박지훈"), ("queue", "김민지"))
    (op, page), (peer, _) = people.pages, people.names
    room = open_direct(page, peer)
    me_id = page.evaluate("() => window.__im.state.me.id")
    entry = {"cmid-queued-1": {"roomId": room, "payload": {"room_id": room, "content": "연결이 끊겼을 때 쓴 메시지",
                                                            "type": "text", "client_msg_id": "cmid-queued-1"}}}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [f"im.outbox:{me_id}", json.dumps(entry)])
    second = new_page(page.context)  # another tab of the same browser finds the same queue
    second.goto(server.url + "/")
    page.reload()
    expect(page.get_by_test_id("room-list")).to_be_visible()
    op.locator(f'[data-testid="room-item"][data-room-id="{room}"]').click()
    expect(message(op, "연결이 끊겼을 때 쓴 메시지")).to_have_count(1)
    page.wait_for_function(f"() => (localStorage.getItem('im.outbox:{me_id}') || '{{}}') === '{{}}'")
    page.reload()
    expect(page.get_by_test_id("room-list")).to_be_visible()
    op.reload()
    open_room(op, room)
    expect(message(op, "연결이 끊겼을 때 쓴 메시지")).to_have_count(1)
    people.close()


def test_phone_layout_of_emoji_picker_room_switcher_and_threads_view(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("desk", "박지훈"), ("phone", "최유나"), contexts=[{}, PHONE])
    (_, page), (peer, _) = people.pages, people.names
    open_direct(page, peer)

    def fits(testid: str) -> None:
        box = page.get_by_test_id(testid).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["y"] >= 0, (testid, box)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375

    page.get_by_test_id("emoji-open").tap()
    expect(page.get_by_test_id("emoji-picker")).to_be_visible()
    fits("emoji-picker")
    page.get_by_test_id("emoji-search").press("Escape")
    expect(page.get_by_test_id("emoji-picker")).to_be_hidden()
    page.get_by_test_id("composer-input").press("Control+k")
    expect(page.get_by_test_id("room-switcher")).to_be_visible()
    fits("room-switcher")
    page.keyboard.press("Escape")
    page.locator("#back").tap()
    page.get_by_test_id("threads-open").tap()
    expect(page.get_by_test_id("threads-view")).to_be_visible()
    fits("threads-view")
    people.close()


def test_an_edit_in_progress_survives_the_message_changing_under_it(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """↑ opens the edit box; a reaction from the other person arriving meanwhile (or a late second copy
    of the message) redrew the message and took the edit box away. The edit stays; the reaction shows
    once the edit is saved."""
    people = sign_up(browser, server.url, ("ed", "김민지"), ("re", "이서준"))
    (a, b), (_, bob) = people.pages, people.names
    room = open_direct(a, bob)
    send(a, "오타가 있는 메시지")
    sent = message(a, "오타가 있는 메시지")
    expect(sent).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    msg_id = int(sent.get_attribute("data-message-id") or 0)
    open_room(b, room)
    a.get_by_test_id("composer-input").press("ArrowUp")
    edit_box = a.locator(".edit-box")
    expect(edit_box).to_be_focused()
    edit_box.fill("오타를 고친 메시지")
    b.evaluate("""async (id) => {
      const { csrf_token: token } = await (await fetch('/api/me')).json();
      const r = await fetch(`/api/messages/${id}/reactions`, { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token }, body: JSON.stringify({ emoji: '👍' }) });
      if (!r.ok) throw new Error('reaction ' + r.status);
    }""", msg_id)
    a.wait_for_function("([room, id]) => (window.__im.conv(room).byId.get(id).reactions || []).length === 1", arg=[room, msg_id])
    expect(edit_box).to_have_value("오타를 고친 메시지")
    expect(edit_box).to_be_focused()
    edit_box.press("Enter")
    fixed = message(a, "오타를 고친 메시지")
    expect(fixed).to_have_count(1)
    expect(fixed.locator(".reaction")).to_contain_text("👍")
    expect(message(b, "오타를 고친 메시지")).to_have_count(1)
    assert people.errors == []
    people.close()
