"""Forwarding in the browser: the forward dialog from a message's actions, to another room with a
comment, seen there with its "전달됨" marker; the dialog at 375 px."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.ui import message, new_page, open_direct, open_room, register, send, unique


def test_forward_to_another_room_with_comment(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    contexts = [browser.new_context() for _ in range(3)]
    kim, lee, park = (new_page(c) for c in contexts)
    errors: list[str] = []
    for p in (kim, lee, park):
        p.on("pageerror", lambda e: errors.append(str(e)))
    names = {p: unique(prefix) for p, prefix in ((kim, "kim"), (lee, "lee"), (park, "park"))}
    register(lee, server.url, names[lee], "이서준")
    register(park, server.url, names[park], "박지훈")
    register(kim, server.url, names[kim], "김민지")
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
    for c in contexts:
        c.close()


def test_forward_dialog_on_a_phone(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    other = browser.new_context()
    page, op = new_page(ctx), new_page(other)
    me, peer = unique("phone"), unique("desk")
    register(op, server.url, peer, "박지훈")
    register(page, server.url, me, "최유나")
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
    ctx.close()
    other.close()
