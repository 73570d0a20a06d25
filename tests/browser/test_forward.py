"""Forwarding in the browser: the forward dialog from a message's actions, to another room with a
comment, seen there with its "전달됨" marker; the dialog at 375 px."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.ui import PHONE, message, open_direct, open_room, send, sign_up


def test_forward_to_another_room_with_comment(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("lee", "이서준"), ("park", "박지훈"), ("kim", "김민지"))
    (lee, park, kim), errors = people.pages, people.errors
    names = dict(zip(people.pages, people.names, strict=True))
    with_park = open_direct(kim, names[park])
    send(kim, "안녕하세요")
    with_lee = open_direct(lee, names[kim])
    send(lee, "견적 금액은 1,200만원입니다")
    open_room(park, with_park)
    open_room(kim, with_lee)
    original = message(kim, "견적 금액은")
    original.hover()
    original.locator('[data-act="forward"]').click()
    dialog = kim.get_by_test_id("forward-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("forward-send")).to_be_disabled()
    dialog.get_by_test_id("forward-room").filter(has_text="박지훈").click()
    dialog.get_by_test_id("forward-comment").fill("참고하세요")
    dialog.get_by_test_id("forward-send").click()
    expect(dialog).to_be_hidden()
    copy = message(park, "견적 금액은")
    expect(copy).to_have_count(1)
    expect(copy.get_by_test_id("forwarded")).to_have_text("전달됨 · 이서준")  # park is not in the original room
    expect(message(park, "참고하세요")).to_have_count(1)
    open_room(kim, with_park)
    expect(message(kim, "견적 금액은").get_by_test_id("forwarded")).to_contain_text("이서준 · #이서준")
    assert errors == []
    people.close()


def test_forward_dialog_on_a_phone(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("desk", "박지훈"), ("phone", "최유나"), contexts=[{}, PHONE])
    (_, page), (peer, _) = people.pages, people.names
    open_direct(page, peer)
    send(page, "휴대폰에서 전달할 아주 긴 메시지입니다 " * 4)
    node = message(page, "휴대폰에서 전달할")
    expect(node).to_have_attribute("data-message-id", re.compile(r"^\d+$"))  # acknowledged: no re-render to come
    node.locator(".bubble").tap(position={"x": 6, "y": 6})
    node.locator('[data-act="forward"]').tap()
    dialog = page.get_by_test_id("forward-dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    expect(dialog.get_by_test_id("forward-room").filter(has_text="박지훈")).to_have_count(1)
    people.close()
