"""Read receipts in the browser: the yellow unread number going down live, and the who-read sheet."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.ui import create_group, message, open_room, send, sign_up


def test_unread_number_goes_down_live_and_the_who_read_sheet(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    people = sign_up(browser, server.url, ("jy", "김지윤"), ("mh", "이민호"), ("sy", "박서연"))
    (a, b, c), users, errors = people.pages, people.names, people.errors
    room_id = create_group(a, "주간 보고", users[1:])
    send(a, "주간 보고서 올렸습니다")
    mine = message(a, "주간 보고서")
    number = mine.get_by_test_id("unread-count")
    expect(number).to_have_text("2")
    history_fetches: list[str] = []
    a.on("request", lambda r: history_fetches.append(r.url) if f"/api/rooms/{room_id}/messages" in r.url else None)
    # 이민호 opens the room: the number in 김지윤's window drops to 1, without a refetch.
    open_room(b, room_id)
    expect(message(b, "주간 보고서")).to_have_count(1)
    expect(number).to_have_text("1")
    # The number opens who has read it and who has not.
    number.click()
    sheet = a.get_by_test_id("reads-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.get_by_test_id("reads-unread")).to_contain_text("박서연")
    expect(sheet.get_by_test_id("reads-read")).to_contain_text("이민호")
    expect(sheet.get_by_test_id("reads-read")).not_to_contain_text("박서연")
    sheet.get_by_role("button", name="닫기").click()
    expect(sheet).to_be_hidden()
    # 박서연 reads it too: the number disappears.
    open_room(c, room_id)
    expect(message(c, "주간 보고서")).to_have_count(1)
    expect(number).to_have_count(0)
    assert history_fetches == []
    # A live message in 이민호's window: both others have the room open and read it at once.
    send(b, "확인했습니다")
    expect(message(b, "확인했습니다")).not_to_have_attribute("data-message-id", "")
    expect(message(b, "확인했습니다").get_by_test_id("unread-count")).to_have_count(0)
    assert errors == []
    people.close()
