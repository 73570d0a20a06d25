"""Files, reactions, pins, polls, search and safe rendering of hostile text, across two browsers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.browser.ui import PHONE, edit, message, open_direct, open_room, send, sign_up, start_direct

XSS = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def pair(browser: Browser, server):  # type: ignore[no-untyped-def]
    """Two registered people in two browser contexts with a direct room open on both sides."""
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    a, b = people.pages
    room_id = start_direct(a, b, people.names[1], "시작")
    yield a, b, room_id, people.errors
    people.close()


def png_bytes(color: str = "#3a7bd5", size: tuple[int, int] = (640, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def test_image_upload_shows_thumbnail_on_the_other_side(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, _, errors = pair
    a.get_by_test_id("attach-input").set_input_files(
        files=[{"name": "회의실 사진.png", "mimeType": "image/png", "buffer": png_bytes()}])
    thumb = b.locator('[data-testid="message"] img.thumb')
    expect(thumb).to_have_count(1, timeout=15000)
    expect(thumb).to_have_attribute("alt", "회의실 사진.png")
    b.wait_for_function("() => { const i = document.querySelector('img.thumb'); return i && i.complete && i.naturalWidth > 0; }")
    expect(a.locator('[data-testid="message"] img.thumb')).to_have_count(1)
    assert errors == []


def test_upload_over_the_size_limit_is_refused_before_sending(pair) -> None:  # type: ignore[no-untyped-def]
    a, _, _, _ = pair
    limit = a.evaluate("() => window.__im.state.config.upload.max_size_bytes")
    requests: list[str] = []
    a.on("request", lambda r: requests.append(r.url) if "/api/upload" in r.url else None)
    a.get_by_test_id("attach-input").set_input_files(
        files=[{"name": "big.bin.txt", "mimeType": "text/plain", "buffer": b"x" * (limit + 1)}])
    expect(a.locator("#toast")).to_contain_text("big.bin.txt")
    assert requests == []


def test_reaction_pin_and_poll_vote(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, room_id, errors = pair
    target = message(b, "시작")
    target.hover()
    target.locator('[data-act="react"]').click()
    b.locator('#emoji-body [data-emoji="👍"]').click()
    expect(message(a, "시작").locator(".reaction")).to_contain_text("👍1")
    # Pin from A; both see it in the pins panel.
    message(a, "시작").hover()
    message(a, "시작").locator('[data-act="pin"]').click()
    b.locator("#pins-toggle").click()
    expect(b.get_by_test_id("pin")).to_contain_text("시작")
    # Poll: A creates, B votes, A sees the count.
    a.locator("#poll-open").click()
    a.get_by_test_id("poll-question").fill("점심 메뉴는?")
    opts = a.locator(".poll-option-input")
    opts.nth(0).fill("김치찌개")
    opts.nth(1).fill("비빔밥")
    a.get_by_test_id("poll-submit").click()
    option = b.locator('[data-testid="poll"] [data-testid="poll-option"]', has_text="비빔밥")
    expect(option).to_be_visible()
    option.click()
    expect(option).to_have_class("poll-opt voted")
    expect(a.locator('[data-testid="poll-option"]', has_text="비빔밥")).to_contain_text("1")
    # A's vote arrives at B as a room broadcast: B's own vote stays marked.
    a.locator('[data-testid="poll-option"]', has_text="김치찌개").click()
    expect(option.locator("xpath=..").locator('[data-testid="poll-option"]', has_text="김치찌개")).to_contain_text("1")
    expect(option).to_have_class("poll-opt voted")
    assert errors == []


def test_search_finds_korean_substring_and_jumps_to_it(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, room_id, errors = pair
    send(a, "내일 주간회의를 10시에 합니다")
    expect(message(b, "주간회의를")).to_have_count(1)
    b.get_by_test_id("search-input").fill("회의")
    result = b.get_by_test_id("search-result").first
    expect(result).to_contain_text("주간회의를")
    expect(result.locator("mark")).to_have_text("회의")
    result.click()
    expect(message(b, "주간회의를")).to_be_in_viewport()
    assert errors == []


def test_hostile_text_renders_as_text_and_runs_nothing(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("evil", XSS), ("victim", "피해자"))
    (a, b), (_, victim), errors = people.pages, people.names, people.errors
    room_id = open_direct(a, victim)
    send(a, XSS + " **굵게** `<b>code</b>` [x](javascript:alert(1)) javascript:alert(1)")
    a.get_by_test_id("attach-input").set_input_files(
        files=[{"name": XSS + ".png", "mimeType": "image/png", "buffer": png_bytes()}])
    open_room(b, room_id)
    expect(b.locator('[data-testid="message"] img.thumb')).to_have_count(1, timeout=15000)
    text = message(b, "굵게")
    expect(text.locator(".text")).to_contain_text(XSS)
    expect(text.locator("code")).to_have_text("<b>code</b>")
    # Nothing user-typed became an element: no <img> but the thumbnail, no javascript: links.
    assert b.locator('#message-items img:not(.thumb)').count() == 0
    assert b.locator('a[href^="javascript"]').count() == 0
    expect(b.locator(".msg-head .sender").first).to_have_text(XSS)
    # The server may normalise the file name; whatever it kept is shown as text.
    expect(b.locator(".file-caption")).to_contain_text("onerror")
    # The room list (display name as room name, last message preview) and search show it as text too.
    expect(b.locator(f'[data-testid="room-item"][data-room-id="{room_id}"] .room-name')).to_have_text(XSS)
    b.get_by_test_id("search-input").fill("onerror")
    expect(b.get_by_test_id("search-result").first).to_contain_text("onerror")
    for p in (a, b):  # every image has loaded or failed: an onerror payload would have run by now
        p.wait_for_function("() => [...document.images].every((img) => img.complete)")
        assert p.evaluate("() => window.__pwned") is None
    assert errors == []
    people.close()


def test_phone_width_layout(browser: Browser, server, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("desk", "박지훈"), ("phone", "최유나"),
                     contexts=[{}, {**PHONE, "device_scale_factor": 2}])
    (op, page), (peer, _) = people.pages, people.names
    # One view at a time: the room list fills the screen, then the conversation replaces it.
    expect(page.get_by_test_id("room-list")).to_be_visible()
    expect(page.locator("#conversation")).to_be_hidden()
    room_id = open_direct(page, peer)
    expect(page.get_by_test_id("room-list")).to_be_hidden()
    send(page, "휴대폰에서 보냅니다 📱")
    open_room(op, room_id)
    send(op, "잘 보여요! 회의 자료는 https://intranet.example/docs 에 있어요")
    expect(message(page, "잘 보여요")).to_have_count(1)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal overflow: {width}px"
    box = page.get_by_test_id("composer-input").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.screenshot(path=str(screenshots / "mobile.png"))
    # No hover on a phone: a tap on a message shows its actions.
    theirs = message(page, "잘 보여요")
    theirs.locator(".bubble").tap(position={"x": 6, "y": 6})  # not on the link inside it
    theirs.locator('[data-act="react"]').tap()
    page.locator('#emoji-body [data-emoji="🎉"]').tap()
    expect(message(op, "잘 보여요").locator(".reaction")).to_contain_text("🎉1")
    page.locator("#back").click()
    expect(page.get_by_test_id("room-list")).to_be_visible()
    expect(page.locator("#conversation")).to_be_hidden()
    people.close()


def test_reply_edit_delete_and_english(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, _, errors = pair
    target = message(b, "시작")
    target.hover()
    target.locator('[data-act="reply"]').click()
    expect(b.locator("#reply-preview")).to_contain_text("김민지")
    send(b, "답장입니다")
    reply = message(a, "답장입니다")
    expect(reply.locator(".reply-quote")).to_contain_text("시작")
    # Edit: the other side sees the new text and the edited mark.
    edit(b, "답장입니다", "고친 답장입니다")
    expect(message(a, "고친 답장입니다").locator(".edited")).to_have_text("(수정됨)")
    # Delete: the message keeps its place, marked deleted, on both sides.
    edited = message(b, "고친 답장입니다")
    edited.hover()
    edited.locator('[data-act="delete"]').click()  # the confirm() is accepted by new_page()
    expect(a.locator(".msg.deleted")).to_have_count(1)
    expect(a.locator(".msg.deleted")).to_contain_text("삭제된 메시지입니다.")
    # English is one switch away; Korean stays the default for new visitors.
    b.locator("#settings-open").click()
    b.locator("#settings-body select").nth(1).select_option("en")
    expect(b.locator("#settings-body h3")).to_have_text("Settings")
    b.locator("#settings-dialog").press("Escape")
    expect(b.get_by_test_id("composer-send")).to_have_text("Send")
    expect(a.get_by_test_id("composer-send")).to_have_text("전송")
    assert errors == []


def test_search_filters_use_the_advanced_search(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, room_id, errors = pair
    send(a, "분기 보고서 초안입니다")
    a.get_by_test_id("attach-input").set_input_files(
        files=[{"name": "분기 보고서.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(b.locator("img.thumb")).to_have_count(1, timeout=15000)
    calls: list[str] = []
    b.on("request", lambda r: calls.append(r.url) if "/api/search" in r.url else None)
    b.get_by_test_id("search-input").fill("보고서")
    expect(b.get_by_test_id("search-result")).to_have_count(2)
    b.locator("#search-filters summary").click()
    b.locator("#sf-file").select_option("image")
    expect(b.get_by_test_id("search-result")).to_have_count(1)
    expect(b.get_by_test_id("search-result")).to_contain_text("분기 보고서")
    assert any(u.endswith("/api/search/advanced") for u in calls)
    assert errors == []


def test_room_mute_and_notification_settings(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, room_id, errors = pair
    b.context.grant_permissions(["notifications"])
    b.locator("#settings-open").click()
    expect(b.get_by_test_id("notify-status")).to_contain_text("브라우저 알림이 켜져 있습니다")
    b.locator("#settings-dialog").press("Escape")
    # Mute the direct room, then move to another room: its unread count is shown quietly and is left
    # out of the tab title.
    b.get_by_test_id("notify-level").select_option("none")
    item = b.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]')
    expect(item.locator(".muted-mark")).to_have_count(1)
    b.get_by_test_id("new-room").click()
    b.locator('input[name="type"][value="group"]').check()
    b.locator('input[name="name"]').fill("다른 방")
    b.locator("#user-search").fill("kim")
    b.locator('[data-testid="user-result"]').first.click()
    b.locator("#new-room-create").click()
    expect(b.locator("#room-name")).to_have_text("다른 방")
    send(a, "조용히 와야 하는 메시지")
    expect(item.get_by_test_id("unread-badge")).to_have_class("badge quiet")
    expect(b).to_have_title("사내 메신저")
    assert errors == []
