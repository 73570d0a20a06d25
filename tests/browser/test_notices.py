"""Notices in the browser: the banner with 확인, the author's pending list shrinking live, collapse and
"다시 열지 않기" (kept after a reload), and the room's system event."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.ui import create_group, message, open_room, send, settle, sign_up


def test_notice_banner_ack_and_pending_list(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("jy", "김지윤"), ("mh", "이민호"), ("sy", "박서연"))
    (a, b, c), users, errors = people.pages, people.names, people.errors
    room_id = create_group(a, "개발팀", users[1:])
    for p in (b, c):
        open_room(p, room_id)
    # 김지윤 (room admin) posts a notice that asks for confirmation.
    a.get_by_test_id("notice-new").click()
    a.get_by_test_id("notice-input").fill("금요일 배포 전 체크리스트를 꼭 확인해 주세요")
    a.get_by_test_id("notice-require-ack").check()
    a.get_by_test_id("notice-submit").click()
    expect(a.get_by_test_id("notice-dialog")).to_be_hidden()
    for p in (a, b, c):
        expect(p.get_by_test_id("notice-banner")).to_contain_text("체크리스트")
    expect(b.locator(".msg.system", has_text="김지윤님이 공지를 등록했습니다")).to_have_count(1)
    expect(b.get_by_test_id("notice-new")).to_be_hidden()  # members do not post notices here
    # The author's list: both pending.
    a.get_by_test_id("notice-status").click()
    pending = a.get_by_test_id("notice-pending")
    expect(pending.locator("li")).to_have_count(2)
    # 이민호 confirms: his banner says so, and the author's open list shrinks live.
    b.get_by_test_id("notice-ack").click()
    expect(b.get_by_test_id("notice-acked")).to_be_visible()
    expect(pending.locator("li")).to_have_count(1)
    expect(pending).to_contain_text("박서연")
    expect(a.get_by_test_id("notice-acked-list")).to_contain_text("이민호")
    expect(a.get_by_test_id("notice-status")).to_contain_text("1/2")
    # 박서연 folds the banner, then closes it for good: it stays closed after a reload.
    banner = c.get_by_test_id("notice-banner")
    c.get_by_test_id("notice-collapse").click()
    expect(c.get_by_test_id("notice-ack")).to_be_hidden()
    c.get_by_test_id("notice-collapse").click()
    c.get_by_test_id("notice-hide").click()
    expect(banner).to_be_hidden()
    c.reload()
    open_room(c, room_id)
    expect(c.locator(".msg.system", has_text="공지를 등록했습니다")).to_have_count(1)
    expect(banner).to_be_hidden()
    expect(b.get_by_test_id("notice-banner")).to_be_visible()
    assert errors == []
    people.close()


def test_notice_and_unread_number_screens(browser: Browser, server, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    """The README's pictures: a member's notice banner with 확인, and the author's window with the
    yellow unread numbers and the confirmation count."""
    people = sign_up(browser, server.url, ("jy", "김지윤"), ("mh", "이민호"), ("sy", "박서연"),
                     contexts=[{"device_scale_factor": 1}] * 3)
    (a, b, c), users = people.pages, people.names
    room_id = create_group(a, "개발팀 🚀", users[1:])
    for p in (b, c):
        open_room(p, room_id)
    send(a, "이번 주 배포 일정 공유드립니다")
    a.get_by_test_id("notice-new").click()
    a.get_by_test_id("notice-input").fill("금요일 18시 정기 배포 — 배포 전 체크리스트를 꼭 확인해 주세요")
    a.get_by_test_id("notice-require-ack").check()
    a.get_by_test_id("notice-submit").click()
    expect(a.get_by_test_id("notice-dialog")).to_be_hidden()
    expect(c.get_by_test_id("notice-ack")).to_be_visible()
    b.get_by_test_id("notice-ack").click()
    expect(a.get_by_test_id("notice-status")).to_contain_text("1/2")
    c.mouse.move(5, 790)
    settle(c)
    c.screenshot(path=str(screenshots / "notice.png"))
    # The yellow numbers: 박서연 leaves the room; new messages wait for her (2 → 1 once 이민호 reads them).
    c.evaluate("() => document.querySelector('#back').click()")  # closes the room (the phone layout's back)
    expect(c.get_by_test_id("notice-banner")).to_be_hidden()
    send(a, "체크리스트는 위키에 있습니다")
    send(a, "질문은 이 방에 남겨 주세요")
    expect(message(a, "질문은").get_by_test_id("unread-count")).to_have_text("1")
    send(b, "확인했습니다. QA는 목요일까지 끝낼게요 👍")
    expect(message(a, "QA는")).to_have_count(1)
    a.mouse.move(5, 790)
    settle(a)
    a.screenshot(path=str(screenshots / "unread.png"))
    people.close()
