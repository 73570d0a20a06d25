"""A long room pages through the DOM: a bounded number of message nodes, infinite scroll upward to the
first message, jump to latest, the "new messages" divider, and jumping to an old search hit."""

from __future__ import annotations

import requests
from playwright.sync_api import Browser, expect

from tests.browser.ui import PASSWORD, message, open_direct, open_room, sign_up

N = 260


def test_long_room_pages_through_a_bounded_dom(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("writer", "작성자"), ("reader", "독자"))
    (a, b), (writer, reader), errors = people.pages, people.names, people.errors
    room_id = open_direct(a, reader)
    s = requests.Session()
    csrf = s.post(server.url + "/api/login", json={"username": writer, "password": PASSWORD}, timeout=10).json()["csrf_token"]
    for i in range(N):
        r = s.post(f"{server.url}/api/rooms/{room_id}/messages", json={"content": f"긴 대화 {i:03d} 번째 메시지"},
                   headers={"X-CSRF-Token": csrf}, timeout=10)
        assert r.status_code in (200, 201), r.text
    # The reader has N unread: the divider sits before the first unread one that is loaded.
    item = b.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]')
    expect(item.get_by_test_id("unread-badge")).to_have_text("99+")
    open_room(b, room_id)
    expect(message(b, f"긴 대화 {N - 1:03d}")).to_be_visible()
    bounded = "() => document.querySelectorAll('[data-testid=message]').length"
    assert b.evaluate(bounded) <= 150
    # Scroll to the very top: older pages load, the DOM stays bounded, the start is reached.
    listing = b.get_by_test_id("message-list")
    box = listing.bounding_box()
    assert box
    b.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    most = 0
    for _ in range(400):
        b.mouse.wheel(0, -2000)
        b.wait_for_timeout(20)
        most = max(most, b.evaluate(bounded))
        if b.locator("#message-top").text_content() == "대화의 시작입니다.":
            break
    expect(message(b, "긴 대화 000")).to_be_visible()
    assert most <= 150
    assert message(b, f"긴 대화 {N - 1:03d}").count() == 0  # paged out of the DOM
    # Jump back to the latest.
    b.locator("#jump-latest").click()
    expect(message(b, f"긴 대화 {N - 1:03d}")).to_be_in_viewport()
    # A search hit far back opens the room at that message.
    b.get_by_test_id("search-input").fill("긴 대화 007")
    b.get_by_test_id("search-result").first.click()
    expect(message(b, "긴 대화 007")).to_be_in_viewport()
    assert b.evaluate(bounded) <= 150
    assert errors == []
    people.close()
