"""Language in the web client: the chosen language is stored with the user and follows them to any PC."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.ui import PASSWORD, login, new_page, open_room, register, unique
from tests.helpers import LiveUser


def test_language_chosen_on_one_pc_follows_the_user_to_another(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    pc1, pc2 = browser.new_context(), browser.new_context()
    a = new_page(pc1)
    errors: list[str] = []
    a.on("pageerror", lambda e: errors.append(str(e)))
    name = unique("lang")
    register(a, server.url, name, "언어")
    expect(a.locator("html")).to_have_attribute("lang", "ko")
    a.locator("#settings-open").click()
    a.get_by_test_id("settings-language").select_option("en")
    expect(a.locator("#settings-body h3")).to_have_text("Settings")
    a.wait_for_function("() => window.__im.state.preferences && window.__im.state.preferences.language === 'en'")
    # A second PC whose browser has never seen this user (Korean by default) shows English after login.
    b = new_page(pc2)
    b.on("pageerror", lambda e: errors.append(str(e)))
    login(b, server.url, name)
    expect(b.locator("html")).to_have_attribute("lang", "en")
    b.locator("#settings-open").click()
    expect(b.locator("#settings-body h3")).to_have_text("Settings")
    expect(b.get_by_test_id("settings-language")).to_have_value("en")
    # Back to Korean on PC2: PC1, still open, switches too (the preferences event).
    b.get_by_test_id("settings-language").select_option("ko")
    expect(b.locator("#settings-body h3")).to_have_text("설정")
    expect(a.locator("html")).to_have_attribute("lang", "ko")
    assert errors == []
    pc1.close()
    pc2.close()


def test_server_errors_are_worded_by_the_client_in_its_language(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """The server sends English plus a code; the page shows its own catalog's words for the code."""
    ctx = browser.new_context()
    page = new_page(ctx)
    page.goto(server.url + "/")
    name = unique("nobody")
    for lang, words in (("ko", "아이디 또는 비밀번호가 올바르지 않습니다."), ("en", "Wrong username or password.")):
        page.locator("#auth-lang").select_option(lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.get_by_test_id("login-username").fill(name)
        page.get_by_test_id("login-password").fill("wrong-password")
        page.get_by_test_id("login-submit").click()
        expect(page.locator("#login-error")).to_have_text(words)
    # Parameters fill the sentence; a reason picks the finer sentence; an unknown code shows the server's text.
    texts = page.evaluate("""async () => {
        const { errorText } = await import('/static/js/dom.js');
        return [errorText({ code: 'weak_password', params: { min: 8 }, message: 'x' }),
                errorText({ code: 'not_found', params: { reason: 'room' }, message: 'x' }),
                errorText({ code: 'not_found', params: { reason: 'no_such_reason' }, message: 'x' }),
                errorText({ code: 'brand_new_code', message: 'Words from the server' })];
    }""")
    assert texts == ["The password must be at least 8 characters.", "Room not found.", "Not found.",
                     "Words from the server"]
    # A deleted account's name is stored empty; the page shows the word of its language.
    names = page.evaluate("""async () => {
        const { reviveNames, wordDeletedNames } = await import('/static/js/i18n.js');
        const { systemText } = await import('/static/js/sysmsg.js');
        return [JSON.parse('{"sender": {"display_name": ""}}', reviveNames).sender.display_name,
                wordDeletedNames({ user: { display_name: '' } }).user.display_name,
                systemText({ event: { event: 'member_left', user: { id: 999999, name: '' } } })];
    }""")
    assert names == ["Deleted user", "Deleted user", "Deleted user left the room."]
    ctx.close()


def test_a_system_message_reads_in_each_users_language(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """One stored event, two readers: Korean for one, English for the other (a stored preference), with
    the name of a member who has left taken from the event."""
    kim_name, lee_name, park_name = unique("kim"), unique("lee"), unique("park")
    kim = LiveUser(server.url, kim_name, "김대호", password=PASSWORD)
    lee = LiveUser(server.url, lee_name, "Lee Sujin", password=PASSWORD)
    park = LiveUser(server.url, park_name, "박지민", password=PASSWORD)
    assert lee.patch("/api/me/preferences", json={"language": "en"}).status_code == 200
    room = kim.post("/api/rooms", json={"type": "group", "name": "주간 회의",
                                        "member_ids": [lee.id, park.id]}).json()["room"]
    assert park.delete(f"/api/rooms/{room['id']}/members/{park.id}").status_code == 200
    ck, cl = browser.new_context(), browser.new_context()
    pk, pl = new_page(ck), new_page(cl)
    errors: list[str] = []
    for p in (pk, pl):
        p.on("pageerror", lambda e: errors.append(str(e)))
    login(pk, server.url, kim_name)
    login(pl, server.url, lee_name)
    open_room(pk, room["id"])
    open_room(pl, room["id"])
    system = '[data-testid="message"].system'
    expect(pk.locator(system).first).to_have_text("김대호님이 대화방을 만들었습니다. 참여자: Lee Sujin, 박지민")
    expect(pk.locator(system).last).to_have_text("박지민님이 나갔습니다.")
    expect(pl.locator(system).first).to_have_text("김대호 created the room with Lee Sujin, 박지민.")
    expect(pl.locator(system).last).to_have_text("박지민 left the room.")
    # The room list preview is the same sentence.
    item = f'[data-testid="room-item"][data-room-id="{room["id"]}"]'
    expect(pl.locator(item)).to_contain_text("박지민 left the room.")
    expect(pk.locator(item)).to_contain_text("박지민님이 나갔습니다.")
    # A live event while the pages are open: both read the rename at once, each in their language.
    assert kim.patch(f"/api/rooms/{room['id']}", json={"name": "Weekly"}).status_code == 200
    expect(pk.locator(system).last).to_have_text("김대호님이 대화방 이름을 'Weekly'(으)로 바꿨습니다.")
    expect(pl.locator(system).last).to_have_text("김대호 renamed the room to 'Weekly'.")
    assert errors == []
    ck.close()
    cl.close()
