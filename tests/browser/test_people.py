"""People in the browser: the profile card (from a message's avatar and name, from the org directory)
with its "1:1 대화" button, the org directory by 초성 and department, the admin's directory import,
presence seen by another person (automatic away after the idle time, manual busy, the online-now
panel), and the phone layout of the new panels. The server's idle time is 3 s here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.server import ServerProcess
from tests.browser.ui import (
    PASSWORD,
    create_group,
    login,
    message,
    new_page,
    open_direct,
    open_room,
    register,
    send,
    sign_up,
    unique,
)
from tests.helpers import LiveUser


@pytest.fixture(scope="module")
def people_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, LiveUser]]:
    """A server of its own whose first account (the server admin) is driven over HTTP."""
    proc = ServerProcess(tmp_path_factory.mktemp("people") / "data", env={"PRESENCE_IDLE_SECONDS": "3"})
    proc.start()
    admin = LiveUser(proc.url, "boss", "대표", password=PASSWORD)
    yield proc, admin
    proc.stop()


def _set_fields(admin: LiveUser, username: str, **fields: str) -> None:
    user = next(u for u in admin.get("/api/admin/users").json()["users"] if u["username"] == username)
    r = admin.patch(f"/api/admin/users/{user['id']}", json=fields)
    assert r.status_code == 200, r.text


def test_profile_card_from_a_message_and_from_the_directory(browser: Browser, people_server) -> None:  # type: ignore[no-untyped-def]
    proc, admin = people_server
    people = sign_up(browser, proc.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (alice, bob), errors = people.pages, people.names, people.errors
    _set_fields(admin, bob, department="품질보증팀", title="선임연구원", extension="2041", email=f"{bob}@example.com")
    b.get_by_test_id("availability").select_option("busy")
    expect(b.get_by_test_id("availability")).to_have_value("busy")
    # A message from B: its author's name opens the card.
    room_id = open_direct(b, alice)
    send(b, "자료 공유드립니다")
    a.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]').click()
    message(a, "자료 공유드립니다").locator(".avatar.profile-link").click()
    card = a.get_by_test_id("profile-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("이서준")
    expect(card).to_contain_text("품질보증팀 · 선임연구원")
    expect(card).to_contain_text("2041")
    expect(card).to_contain_text(f"{bob}@example.com")
    expect(card).to_contain_text("다른 용무 중")
    card.press("Escape")
    expect(card).to_be_hidden()
    # The directory: browse by department, find by 초성, open the card, start a 1:1 conversation.
    carol = unique("park")
    LiveUser(proc.url, carol, "박지훈")
    _set_fields(admin, carol, department="품질보증팀")
    a.get_by_test_id("directory-open").click()
    a.get_by_test_id("directory-department").filter(has_text="품질보증팀").click()
    found = a.get_by_test_id("directory-person")
    expect(found).to_have_count(2)
    a.locator("#directory-q").fill("ㅂㅈㅎ")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("박지훈")
    found.click()
    expect(card).to_be_visible()
    expect(card).to_contain_text("박지훈")
    card.get_by_test_id("profile-dm").click()
    expect(card).to_be_hidden()
    expect(a.locator("#room-name")).to_have_text("박지훈")
    expect(a.get_by_test_id("composer-input")).to_be_visible()
    assert errors == []
    people.close()


def test_admin_imports_the_directory_and_sees_row_errors(browser: Browser, people_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc, _admin = people_server
    ctx = browser.new_context()
    page = new_page(ctx)
    login(page, proc.url, "boss")
    page.locator("#admin-open").click()
    page.locator("#admin-body .tabs button", has_text="조직도").click()
    name = unique("imp")
    good = tmp_path / "good.csv"
    good.write_bytes(("\ufeffusername,display_name,department\r\n"
                      f"{name},한지민,재무팀\r\n").encode())
    page.get_by_test_id("directory-import-file").set_input_files(str(good))
    result = page.get_by_test_id("directory-import-result")
    expect(result).to_contain_text("새 계정 1명")
    password = result.locator("code").inner_text()
    assert len(password) >= 12
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("username,display_name,email\r\n"
                     f"{unique('ok')},정상,\r\n"
                     "x,짧은아이디,\r\n"
                     f"{unique('mail')},메일,not-mail\r\n").encode())
    page.get_by_test_id("directory-import-file").set_input_files(str(bad))
    expect(result).to_contain_text("아무것도 가져오지 않았습니다")
    rows = page.get_by_test_id("directory-import-errors").locator("tr")
    expect(rows).to_have_count(3)  # header + two rows
    expect(rows.nth(1)).to_contain_text("3")
    expect(rows.nth(2)).to_contain_text("이메일 주소가 올바르지 않습니다")
    # The new account logs in with the temporary password shown once.
    other = new_page(browser.new_context())
    login(other, proc.url, name, password)
    expect(other.locator("#toast")).to_be_visible()
    ctx.close()


def test_phone_layout_of_profile_card_and_directory(browser: Browser, people_server) -> None:  # type: ignore[no-untyped-def]
    proc, admin = people_server
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page: Page = new_page(ctx)
    me = unique("phone")
    register(page, proc.url, me, "최유나")
    _set_fields(admin, me, department="아주아주긴이름의경영지원실전략기획팀", title="수석")

    def fits(testid: str) -> None:
        box = page.get_by_test_id(testid).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"horizontal overflow: {width}px"

    expect(page.get_by_test_id("availability")).to_be_visible()
    fits("online-panel")
    fits("availability")
    fits("availability-message")
    page.get_by_test_id("availability-message").fill("재택 근무")
    with page.expect_response(lambda r: r.url.endswith("/api/me") and r.request.method == "PATCH"):
        page.get_by_test_id("availability-message").press("Enter")
    page.get_by_test_id("directory-open").tap()
    expect(page.get_by_test_id("directory")).to_be_visible()
    fits("directory")
    page.locator("#directory-q").fill("최유")
    my_id = page.evaluate("() => window.__im.state.me.id")
    page.locator(f'[data-testid="directory-person"][data-user-id="{my_id}"]').tap()
    expect(page.get_by_test_id("profile-card")).to_be_visible()
    expect(page.get_by_test_id("profile-status")).to_have_text("재택 근무")
    fits("profile-card")
    ctx.close()


def test_auto_away_and_manual_busy_seen_by_another_person(browser: Browser, people_server) -> None:  # type: ignore[no-untyped-def]
    proc, _admin = people_server
    people = sign_up(browser, proc.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (alice, _), errors = people.pages, people.names, people.errors
    room_id = open_direct(b, alice)
    item = a.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]')
    expect(item).to_be_visible()
    dot = item.locator(".presence")
    panel = a.get_by_test_id("online-panel")
    person = panel.locator('[data-testid="online-person"]', has_text="이서준")
    expect(person).to_be_visible()
    # B does nothing for the idle time: A sees B away, in the room list and the online panel.
    expect(dot).to_have_class("presence away", timeout=15000)
    expect(person.locator(".presence")).to_have_class("presence away")
    # B sets busy with a message: A sees it at once.
    b.get_by_test_id("availability").select_option("busy")
    expect(dot).to_have_class("presence busy")
    expect(person.locator(".presence")).to_have_class("presence busy")
    item.click()
    expect(a.locator("#room-sub")).to_contain_text("다른 용무 중")
    # B leaves: offline, and out of the online panel.
    b.close()
    expect(dot).to_have_class("presence offline", timeout=15000)
    expect(person).to_have_count(0)
    assert errors == []
    people.close()


def test_availability_message_is_saved_and_seen_live_by_another_person(browser: Browser, people_server) -> None:  # type: ignore[no-untyped-def]
    proc, _admin = people_server
    people = sign_up(browser, proc.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (_alice, bob) = people.pages, people.names
    create_group(a, "상태 확인방", [bob])
    online = a.get_by_test_id("online-panel").locator('[data-testid="online-person"]', has_text="이서준")
    expect(online).to_be_visible()
    # A has the room's member list open while B writes a message beside the picker.
    a.locator("#details-open").click()
    status = a.locator(".member", has_text="이서준").get_by_test_id("member-status")
    expect(status).to_be_hidden()
    mine = b.get_by_test_id("availability-message")
    mine.fill("회의 중 ~15시")
    with b.expect_response(lambda r: r.url.endswith("/api/me") and r.request.method == "PATCH") as resp:
        mine.press("Enter")
    assert resp.value.ok and resp.value.json()["user"]["status_message"] == "회의 중 ~15시"
    expect(status).to_have_text("회의 중 ~15시")
    expect(online).to_contain_text("회의 중 ~15시")
    # The profile card shows it and follows a change live; the picker keeps working beside it.
    a.locator(".member", has_text="이서준").locator("strong").click()
    card = a.get_by_test_id("profile-card")
    expect(card.get_by_test_id("profile-status")).to_have_text("회의 중 ~15시")
    mine.fill("외근 중")
    mine.blur()  # leaving the field saves too
    expect(card.get_by_test_id("profile-status")).to_have_text("외근 중")
    b.get_by_test_id("availability").select_option("busy")
    expect(card.locator(".profile-presence")).to_have_attribute("data-presence", "busy")
    expect(online).to_contain_text("외근 중")
    # Esc in the field puts back the saved text without saving.
    mine.fill("저장 안 할 글")
    mine.press("Escape")
    expect(mine).to_have_value("외근 중")
    # Saved on the server: after a reload the field shows it; clearing it removes it for others.
    b.reload()
    expect(b.get_by_test_id("availability-message")).to_have_value("외근 중")
    b.get_by_test_id("availability-message").fill("")
    b.get_by_test_id("availability-message").press("Enter")
    expect(card.get_by_test_id("profile-status")).to_have_count(0)
    expect(online).not_to_contain_text("외근 중")
    assert people.errors == []
    people.close()


def test_online_now_counts_people_who_come_to_share_a_room_while_online(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """The report: "지금 온라인" showed 0 while three people were online in a shared group room. They had
    signed in before the room existed: nobody's presence changed when it was made, so nothing refreshed
    the panel. Three real sessions, each with its own socket, on a server with the default idle time (the
    people server's 3 s would send an away change that hides the fault)."""
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"), ("park", "박지훈"))
    (a, b, c), (_alice, bob, carol) = people.pages, people.names
    for page in (a, b, c):  # strangers so far: nobody to show
        expect(page.locator("#online-count")).to_have_text("0")
    room = create_group(a, "셋이서", [bob, carol])
    for page, others in ((a, ["박지훈", "이서준"]), (b, ["김민지", "박지훈"]), (c, ["김민지", "이서준"])):
        expect(page.locator("#online-count")).to_have_text("2")
        expect(page.get_by_test_id("online-panel").get_by_test_id("online-person")).to_have_text(
            [re.compile(name) for name in others])
    # B leaves the only room B shares with them: B and they drop out of each other's panel.
    open_room(b, room)
    b.locator("#details-open").click()
    b.get_by_role("button", name="대화방 나가기").click()  # the confirm() is accepted by new_page
    expect(b.locator("#online-count")).to_have_text("0")
    for page in (a, c):
        expect(page.locator("#online-count")).to_have_text("1")
    # C closes the page (offline): out of A's panel.
    c.close()
    expect(a.locator("#online-count")).to_have_text("0")
    assert people.errors == []
    people.close()
