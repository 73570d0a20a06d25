"""Register, log in, and chat in real time between two browser contexts."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.ui import (
    PASSWORD,
    create_group,
    edit,
    login,
    message,
    new_page,
    open_direct,
    open_room,
    register,
    send,
    sign_up,
    unique,
    wait_connected,
)


def test_register_logout_and_login_again(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context()
    page = new_page(ctx)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    name = unique("reg")
    register(page, server.url, name, "가입자")
    expect(page.locator("#me-name")).to_have_text("가입자")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    page.get_by_test_id("login-username").fill(name)
    page.get_by_test_id("login-password").fill("wrong-password")
    page.get_by_test_id("login-submit").click()
    expect(page.locator("#login-error")).to_be_visible()
    login(page, server.url, name, PASSWORD)
    page.reload()  # the session cookie keeps us in
    expect(page.get_by_test_id("room-list")).to_be_visible()
    assert errors == []
    ctx.close()


def test_two_people_chat_in_real_time(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("alice", "앨리스"), ("bob", "밥"), console="Content Security Policy")
    (a, b), (alice, bob), errors = people.pages, people.names, people.errors
    room_id = open_direct(a, bob)
    send(a, "안녕하세요 **밥**님")
    mine = message(a, "안녕하세요")
    expect(mine).to_have_count(1)
    expect(mine).not_to_have_attribute("data-message-id", "")
    expect(mine.locator("strong")).to_have_text("밥")
    # Bob sees the room appear with an unread badge, then the message.
    item = b.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]')
    expect(item.get_by_test_id("unread-badge")).to_have_text("1")
    # The unread count is in the tab title and drawn on the favicon.
    expect(b).to_have_title("(1) 사내 메신저")
    expect(b.locator("#favicon")).to_have_attribute("href", re.compile(r"^data:image/png"))  # drawn async
    open_room(b, room_id)
    expect(message(b, "안녕하세요")).to_have_count(1)
    send(b, "반가워요 @" + alice)
    expect(message(a, "반가워요")).to_have_count(1)
    expect(message(a, "반가워요").locator(".mention.me")).to_have_count(1)
    # Typing line and Shift+Enter for a new line.
    box = b.get_by_test_id("composer-input")
    box.type("첫 줄")
    expect(a.locator("#typing-line")).to_contain_text("밥")
    box.press("Shift+Enter")
    box.type("둘째 줄")
    b.get_by_test_id("composer-send").click()
    expect(message(a, "둘째 줄")).to_have_count(1)
    assert "첫 줄\n둘째 줄" in message(a, "둘째 줄").locator(".text").inner_text()
    expect(message(b, "둘째 줄")).to_have_count(1)
    assert errors == []
    people.close()


def test_message_sent_while_a_room_is_opening_is_not_lost(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """Bob opens the room; its history page is read before Alice sends a message and edits another,
    but reaches Bob's browser only after the live events. Both must show, once, as they are now."""
    people = sign_up(browser, server.url, ("alice", None), ("bob", None))
    (a, b), (_, bob) = people.pages, people.names
    room_id = open_direct(a, bob)
    send(a, "첫 메시지")
    expect(message(a, "첫 메시지")).not_to_have_attribute("data-message-id", "")
    held: list = []

    def hold_history(route):  # type: ignore[no-untyped-def]
        held.append((route, route.fetch()))  # the page as the server has it now, delivered later

    b.route(f"**/api/rooms/{room_id}/messages?*", hold_history)
    b.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]').click()
    while not held:
        b.wait_for_timeout(50)
    send(a, "열리는 중에 보낸 메시지")
    expect(message(a, "열리는 중에 보낸 메시지")).not_to_have_attribute("data-message-id", "")
    # ... and Alice edits her first message meanwhile: the page Bob gets still has the old text.
    edit(a, "첫 메시지", "고친 첫 메시지")
    expect(message(a, "고친 첫 메시지")).to_have_count(1)
    # The live events reach Bob while his page is still on its way: his client holds them for the merge.
    b.wait_for_function(
        """([id, sent, edited]) => {
            const c = window.__im.conv(id);
            return (c.held || []).some((m) => m.content === sent) && (c.heldChanges || []).some((m) => m.content === edited);
        }""", arg=[room_id, "열리는 중에 보낸 메시지", "고친 첫 메시지"])
    route, response = held[0]
    route.fulfill(response=response)
    b.unroute(f"**/api/rooms/{room_id}/messages?*")
    expect(message(b, "고친 첫 메시지")).to_have_count(1)
    expect(message(b, "열리는 중에 보낸 메시지")).to_have_count(1)
    people.close()


def test_a_room_made_while_the_room_list_loads_stays_in_the_list(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """Bob's room list answer is read before Alice adds him to a new group but reaches his browser after
    the live room_updated (as under load, right after a log-in): the room must stay in his list."""
    people = sign_up(browser, server.url, ("alice", "앨리스"), ("bob", "밥"))
    (a, b), (_, bob) = people.pages, people.names
    held: list = []

    def hold_list(route):  # type: ignore[no-untyped-def]
        held.append((route, route.fetch()))  # the list as the server has it now, delivered later

    b.route("**/api/rooms", hold_list)
    b.reload()
    wait_connected(b)
    while not held:
        b.wait_for_timeout(50)
    room_id = create_group(a, "늦게 온 목록", [bob])
    item = b.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]')
    expect(item).to_have_count(1)  # drawn from the live event
    route, response = held[0]
    route.fulfill(response=response)
    b.unroute("**/api/rooms")
    b.wait_for_function("() => window.__im.interactiveAt")  # the list answer has been applied
    expect(item).to_have_count(1)
    item.click()
    expect(b.locator("#room-name")).to_have_text("늦게 온 목록")
    people.close()
