"""Images and files in the browser: the lightbox (previous/next across the room's images, keyboard,
zoom, download link), the room's media panel (tabs, type filter, name search), deleting a file seen
live as "삭제된 파일" on the other side, and both panels at 375 px."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.ui import PHONE, message, open_direct, open_room, send, settle, sign_up


def png_bytes(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(buf, "PNG")
    return buf.getvalue()


def share(page: Page, name: str, data: bytes, mime: str = "image/png") -> None:
    before = page.locator('[data-testid="message"]').count()
    page.get_by_test_id("attach-input").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
    expect(page.locator('[data-testid="message"]')).to_have_count(before + 1, timeout=15000)
    expect(page.locator('[data-testid="message"]').last).not_to_have_class("pending", timeout=15000)


@pytest.fixture
def pair(browser: Browser, server):  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (_, bob), errors = people.pages, people.names, people.errors
    room_id = open_direct(a, bob)
    send(a, "사진 올립니다")
    expect(message(a, "사진 올립니다")).to_have_count(1)
    for name, color in (("첫째.png", "#c0392b"), ("둘째.png", "#27ae60"), ("셋째.png", "#2980b9")):
        share(a, name, png_bytes(color))
    open_room(b, room_id)
    yield a, b, room_id, errors
    people.close()


def test_lightbox_navigation_keyboard_and_zoom(pair) -> None:  # type: ignore[no-untyped-def]
    _a, b, _room, errors = pair
    thumbs = b.locator('[data-testid="message"] img.thumb')
    expect(thumbs).to_have_count(3, timeout=15000)
    thumbs.nth(1).click()
    box = b.get_by_test_id("lightbox")
    expect(box).to_be_visible()
    position = b.get_by_test_id("lightbox-position")
    expect(position).to_have_text("2 / 3")
    expect(b.get_by_test_id("lightbox-image")).to_have_attribute("alt", "둘째.png")
    b.keyboard.press("ArrowRight")
    expect(position).to_have_text("3 / 3")
    expect(b.get_by_test_id("lightbox-next")).to_be_disabled()
    b.keyboard.press("ArrowLeft")
    b.keyboard.press("ArrowLeft")
    expect(position).to_have_text("1 / 3")
    expect(b.get_by_test_id("lightbox-image")).to_have_attribute("alt", "첫째.png")
    expect(b.get_by_test_id("lightbox-prev")).to_be_disabled()
    b.get_by_test_id("lightbox-next").click()
    expect(position).to_have_text("2 / 3")
    b.get_by_test_id("lightbox-zoom").click()
    expect(b.get_by_test_id("lightbox-image")).to_have_attribute("style", "transform: scale(1.5);")
    href = b.get_by_test_id("lightbox-download").get_attribute("href")
    assert href and href.startswith("/files/") and b.get_by_test_id("lightbox-download").get_attribute("download") == "둘째.png"
    b.wait_for_function("() => { const i = document.querySelector('.lb-img'); return i && i.complete && i.naturalWidth === 320; }")
    b.keyboard.press("Escape")
    expect(box).to_be_hidden()
    assert errors == []


def test_lightbox_pans_a_zoomed_image_by_mouse_and_keyboard(pair) -> None:  # type: ignore[no-untyped-def]
    _a, b, _room, errors = pair
    thumbs = b.locator('[data-testid="message"] img.thumb')
    expect(thumbs).to_have_count(3, timeout=15000)
    thumbs.nth(1).click()
    image = b.get_by_test_id("lightbox-image")
    b.wait_for_function("() => { const i = document.querySelector('.lb-img'); return i && i.complete && i.naturalWidth === 320; }")
    b.keyboard.press("+")
    b.keyboard.press("+")
    expect(image).to_have_attribute("style", "transform: scale(2.25);")
    settle(b)

    def box() -> dict[str, float]:
        settle(b)
        got = image.bounding_box()
        assert got
        return got

    start = box()
    # Drag with the mouse: the image follows; letting go is not a click that unzooms it.
    cx, cy = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    b.mouse.move(cx, cy)
    b.mouse.down()
    b.mouse.move(cx + 50, cy + 30, steps=6)
    b.mouse.up()
    expect(image).to_have_attribute("style", "transform: translate(50px, 30px) scale(2.25);")
    dragged = box()
    assert abs(dragged["x"] - start["x"] - 50) < 2 and abs(dragged["y"] - start["y"] - 30) < 2, (start, dragged)
    # Keyboard: Shift+arrows pan (the view moves toward the arrow, so the image the other way).
    b.keyboard.press("Shift+ArrowRight")
    b.keyboard.press("Shift+ArrowUp")
    expect(image).to_have_attribute("style", "transform: translate(-10px, 90px) scale(2.25);")
    keyed = box()
    assert abs(keyed["x"] - dragged["x"] + 60) < 2 and abs(keyed["y"] - dragged["y"] - 60) < 2, (dragged, keyed)
    # Panning stops where an edge of the image reaches the middle.
    for _ in range(20):
        b.keyboard.press("Shift+ArrowLeft")
    half = round(image.evaluate("i => i.offsetWidth") * 2.25 / 2)
    expect(image).to_have_attribute("style", f"transform: translate({half}px, 90px) scale(2.25);")
    # ← → stay previous/next; the next image starts unzoomed and centred.
    position = b.get_by_test_id("lightbox-position")
    b.keyboard.press("ArrowRight")
    expect(position).to_have_text("3 / 3")
    expect(image).to_have_attribute("style", "transform: scale(1);")
    b.keyboard.press("ArrowLeft")
    expect(position).to_have_text("2 / 3")
    expect(image).to_have_attribute("style", "transform: scale(1);")
    # Unzoomed, dragging does nothing and a click zooms in; 0 resets.
    b.keyboard.press("Shift+ArrowDown")
    expect(image).to_have_attribute("style", "transform: scale(1);")
    image.click()
    expect(image).to_have_attribute("style", "transform: scale(2);")
    b.keyboard.press("0")
    expect(image).to_have_attribute("style", "transform: scale(1);")
    assert errors == []


def test_media_panel_tabs_filter_search_and_delete_seen_live(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, _room, errors = pair
    share(a, "견적서_최종.txt", "견적 금액".encode(), "text/plain")
    share(a, "회의록.txt", "회의".encode(), "text/plain")
    b.get_by_test_id("media-open").click()
    panel = b.get_by_test_id("media-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("media-image")).to_have_count(3)
    panel.get_by_test_id("media-image").first.locator("button").click()  # newest first: 셋째
    expect(b.get_by_test_id("lightbox-position")).to_have_text("3 / 3")
    b.keyboard.press("Escape")
    expect(b.get_by_test_id("lightbox")).to_be_hidden()
    panel.get_by_test_id("media-tab-file").click()
    files = panel.get_by_test_id("media-file")
    expect(files).to_have_count(2)
    panel.get_by_test_id("media-search").fill("견적")
    expect(files).to_have_count(1)
    expect(files).to_contain_text("견적서_최종.txt")
    panel.get_by_test_id("media-search").fill("")
    panel.get_by_test_id("media-type").select_option("pdf")
    expect(panel.locator(".empty")).to_be_visible()
    expect(files.get_by_test_id("media-delete")).to_have_count(0)  # B neither uploaded them nor is an admin
    b.keyboard.press("Escape")
    # A, the uploader, deletes 회의록.txt from the panel; B's message turns into "삭제된 파일".
    a.get_by_test_id("media-open").click()
    a.get_by_test_id("media-tab-file").click()
    a.get_by_test_id("media-file").filter(has_text="회의록.txt").get_by_test_id("media-delete").click()
    expect(a.get_by_test_id("media-file")).to_have_count(1)
    expect(b.get_by_test_id("file-deleted")).to_have_count(1)
    expect(b.get_by_test_id("file-deleted")).to_have_text("삭제된 파일")
    assert errors == []


def test_phone_layout_of_lightbox_and_media_panel(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("desk", "박지훈"), ("phone", "최유나"), contexts=[{}, PHONE])
    (_, page), (peer, _) = people.pages, people.names
    open_direct(page, peer)
    share(page, "아주_긴_이름의_현장_사진_2026년_12월_점검.png", png_bytes("#8e44ad"))
    share(page, "둘째.png", png_bytes("#16a085"))

    def fits(testid: str) -> None:
        box = page.get_by_test_id(testid).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375.5, box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375

    page.locator('[data-testid="message"] img.thumb').first.tap()
    expect(page.get_by_test_id("lightbox")).to_be_visible()
    fits("lightbox")
    for testid in ("lightbox-next", "lightbox-prev", "lightbox-close"):
        fits(testid)
    page.get_by_test_id("lightbox-close").tap()
    page.get_by_test_id("media-open").tap()
    expect(page.get_by_test_id("media-panel")).to_be_visible()
    expect(page.get_by_test_id("media-image")).to_have_count(2)
    fits("media-panel")
    fits("media-type")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("media-panel")).to_be_hidden()
    page.locator('[data-testid="message"] img.thumb').first.tap()
    expect(page.get_by_test_id("lightbox")).to_be_visible()
    # A finger drags the zoomed image (real touch input through the DevTools protocol, not synthetic events).
    page.get_by_test_id("lightbox-zoom").tap()
    page.get_by_test_id("lightbox-zoom").tap()
    image = page.get_by_test_id("lightbox-image")
    expect(image).to_have_attribute("style", "transform: scale(2.25);")
    settle(page)
    before = image.bounding_box()
    assert before
    x, y = before["x"] + before["width"] / 2, before["y"] + before["height"] / 2
    touch = page.context.new_cdp_session(page)
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 6):
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x - 8 * i, "y": y + 4 * i}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(image).to_have_attribute("style", "transform: translate(-40px, 20px) scale(2.25);")
    settle(page)
    after = image.bounding_box()
    assert after and abs(after["x"] - (before["x"] - 40)) < 2 and abs(after["y"] - (before["y"] + 20)) < 2, (before, after)
    people.close()
