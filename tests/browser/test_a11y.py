"""Accessibility of the web client: axe-core (tests/axe, npm) finds no serious or critical violation on
the main screens, and the keyboard reaches and activates what the mouse does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, FileChooser, Page, expect

from tests.browser.test_features import png_bytes
from tests.browser.ui import message, new_page, open_direct, open_room, register, send, sign_up, unique
from tests.services import missing

AXE = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source() -> str:
    if not AXE.is_file():
        missing("axe-core (run: npm ci --prefix tests/axe)")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Page, screen: str) -> list[str]:
    """Run axe-core on the page as it is and describe each serious or critical violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    result: dict[str, Any] = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS)
    found = []
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [json.dumps(n["target"]) for n in v["nodes"][:5]]
            found.append(f"{screen}: {v['id']} ({v['impact']}) {v['help']} -> {', '.join(targets)}")
    return found


def test_main_screens_have_no_serious_axe_violations(browser: Browser, own_server) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    # The app's CSP (script-src 'self') would refuse an inline axe script; bypass_csp lets the test inject it.
    ca, cb = browser.new_context(bypass_csp=True), browser.new_context(bypass_csp=True)
    me, other = new_page(ca), new_page(cb)
    errors: list[str] = []
    for p in (me, other):
        p.on("pageerror", lambda e: errors.append(str(e)))
    found: list[str] = []
    me.goto(base + "/")
    expect(me.get_by_test_id("login-username")).to_be_visible()
    found += serious_violations(me, "login")
    me.get_by_test_id("register-open").click()
    expect(me.get_by_test_id("register-username")).to_be_visible()
    found += serious_violations(me, "register")
    admin, colleague = unique("axadm"), unique("axcol")
    register(me, base, admin, "접근성 관리자")  # the first account: server admin
    register(other, base, colleague, "동료")
    found += serious_violations(me, "empty")
    me.get_by_test_id("new-room").click()
    me.locator("#user-search").fill(colleague)
    expect(me.locator(f'[data-testid="user-result"]:has-text("@{colleague}")')).to_be_visible()
    found += serious_violations(me, "new-room")
    me.locator(f'[data-testid="user-result"]:has-text("@{colleague}")').click()
    expect(me.get_by_test_id("composer-input")).to_be_visible()
    send(me, "접근성 점검 메시지입니다 **굵게**")
    send(me, "두 번째 메시지 https://wiki.intranet.local/a11y")
    expect(message(me, "두 번째")).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    open_room(other, int(me.evaluate("() => window.__im.state.currentRoomId")))
    send(other, "동료의 답장입니다")
    expect(message(me, "동료의 답장")).to_have_count(1)
    found += serious_violations(me, "chat")
    me.get_by_test_id("search-input").fill("접근성")
    expect(me.get_by_test_id("search-result").first).to_be_visible()
    found += serious_violations(me, "search")
    me.locator("#search-close").click()
    me.locator("#details-open").click()
    expect(me.locator("#details-dialog")).to_be_visible()
    found += serious_violations(me, "details")
    me.locator("#details-dialog").press("Escape")
    me.locator("#settings-open").click()
    expect(me.locator("#settings-dialog")).to_be_visible()
    found += serious_violations(me, "settings")
    me.locator("#settings-dialog").press("Escape")
    me.locator("#admin-open").click()
    expect(me.locator('[data-testid="admin-users"]')).to_be_visible()
    found += serious_violations(me, "admin")
    tabs = me.locator("#admin-body .tabs button")
    for i in range(1, tabs.count()):
        tabs.nth(i).click()
        expect(tabs.nth(i)).to_have_class(re.compile(r"\bactive\b"))
        me.wait_for_load_state("networkidle")
        found += serious_violations(me, f"admin tab {i}")
    me.locator("#admin-dialog").press("Escape")
    for opener, dialog in (("#directory-open", "#directory-dialog"), ("#threads-open", "#threads-dialog"),
                           ("#emoji-open", "#emoji-dialog"), ("#poll-open", "#poll-dialog"),
                           ("#media-open", "#media-dialog")):
        me.locator(opener).click()
        expect(me.locator(dialog)).to_be_visible()
        me.wait_for_load_state("networkidle")
        found += serious_violations(me, dialog)
        me.keyboard.press("Escape")
        expect(me.locator(dialog)).to_be_hidden()
    message(me, "동료의 답장").locator("[data-profile]").first.click()
    expect(me.get_by_test_id("profile-card")).to_be_visible()
    found += serious_violations(me, "profile card")
    me.keyboard.press("Escape")
    # The dialogs a message opens: thread, read receipts, forward; the room switcher; an image in the lightbox.
    # The actions of the hover toolbar: the unread "1" beside a message opens the receipts too (data-act="reads").
    for act, dialog in (("thread", "#thread-panel"), ("reads", "#reads-dialog"), ("forward", "#forward-dialog")):
        target = message(me, "두 번째")
        target.hover()
        target.locator(f'.msg-actions [data-act="{act}"]').click()
        expect(me.locator(dialog)).to_be_visible()
        me.wait_for_load_state("networkidle")
        found += serious_violations(me, dialog)
        me.keyboard.press("Escape")
        expect(me.locator(dialog)).to_be_hidden()
    me.get_by_test_id("composer-input").press("Control+k")
    expect(me.get_by_test_id("room-switcher")).to_be_visible()
    found += serious_violations(me, "room switcher")
    me.keyboard.press("Escape")
    me.get_by_test_id("attach-input").set_input_files(
        files=[{"name": "화면.png", "mimeType": "image/png", "buffer": png_bytes("#8ecae6", (320, 200))}])
    expect(me.locator("img.thumb")).to_have_count(1, timeout=15000)
    found += serious_violations(me, "chat with an image")
    me.locator("img.thumb").click()
    expect(me.get_by_test_id("lightbox")).to_be_visible()
    found += serious_violations(me, "lightbox")
    me.keyboard.press("Escape")
    expect(me.get_by_test_id("lightbox")).to_be_hidden()
    # The dark theme has its own colours.
    me.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
    found += serious_violations(me, "chat (dark)")
    assert found == [], "\n".join(found)
    assert errors == []
    ca.close()
    cb.close()


def outline_of(page: Page, selector: str) -> str:
    return str(page.evaluate("(sel) => { const s = getComputedStyle(document.querySelector(sel));"
                             " return s.outlineStyle + ' ' + s.outlineWidth; }", selector))


def test_keyboard_reaches_attach_pickers_rooms_and_names_with_visible_focus(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    base = server.url
    ca, cb = browser.new_context(), browser.new_context()
    me, other = new_page(ca), new_page(cb)
    errors: list[str] = []
    me.on("pageerror", lambda e: errors.append(str(e)))
    # Intercept file choosers from the start: turning interception on inside expect_file_chooser races a
    # key press that opens the chooser at once (the chooser then opens natively and no event comes).
    choosers: list[FileChooser] = []
    me.on("filechooser", lambda c: choosers.append(c))
    mine, theirs = unique("kbme"), unique("kbpeer")
    register(me, base, mine, "키보드")
    register(other, base, theirs, "상대방")
    # New room by keyboard: the user search is labelled, Tab reaches a result, Space picks it.
    me.get_by_test_id("new-room").focus()
    me.keyboard.press("Enter")
    search = me.get_by_role("searchbox", name="이름이나 아이디로 사람 찾기")
    expect(search).to_be_focused()
    # The list is drawn again when the (debounced) search for what was typed answers: Tab only after that,
    # or the focused result is replaced under it.
    with me.expect_response(lambda r: "/api/users?" in r.url and theirs in r.url):
        search.fill(theirs)
    result = me.locator(f'[data-testid="user-result"]:has-text("@{theirs}")')
    expect(result).to_be_visible()
    me.keyboard.press("Tab")
    expect(result).to_be_focused()
    me.keyboard.press(" ")
    expect(me.get_by_label("메시지", exact=True)).to_be_visible()
    room_id = int(me.evaluate("() => window.__im.state.currentRoomId"))
    send(me, "키보드로 보낸 메시지")
    expect(message(me, "키보드로")).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    # The attach button is in the tab order right before the emoji button, shows its focus, and Enter opens
    # the file chooser.
    me.get_by_test_id("emoji-open").focus()
    me.keyboard.press("Shift+Tab")
    attach = me.get_by_role("button", name="파일 첨부")
    expect(attach).to_be_focused()
    assert outline_of(me, "#attach-open") == "solid 2px"
    me.keyboard.press("Enter")
    if not choosers:  # not dispatched yet (the sync API dispatches events only inside its own calls)
        me.wait_for_event("filechooser")
    choosers[0].set_files(files=[{"name": "키보드.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    expect(me.locator('[data-testid="message"]', has_text="키보드.txt")).to_have_count(1, timeout=15000)
    # Names and avatars are role=button: Enter and Space open the profile card.
    other.goto(base + "/")
    open_by_keyboard = other.locator(f'[data-testid="room-item"][data-room-id="{room_id}"] [role="button"]')
    open_by_keyboard.focus()
    assert "solid" in outline_of(other, f'[data-testid="room-item"][data-room-id="{room_id}"]')
    other.keyboard.press(" ")
    expect(other.locator("#room-name")).to_have_text("키보드")
    name = message(other, "키보드로").locator('[role="button"][data-profile]').first
    name.focus()
    other.keyboard.press("Enter")
    expect(other.get_by_test_id("profile-card")).to_be_visible()
    other.keyboard.press("Escape")
    expect(other.get_by_test_id("profile-card")).to_be_hidden()
    name.focus()
    other.keyboard.press(" ")
    expect(other.get_by_test_id("profile-card")).to_be_visible()
    assert errors == []
    ca.close()
    cb.close()


def test_phone_width_in_english_has_no_serious_axe_violations(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """The same rules at a phone's width (the room list and the conversation are separate screens there), in
    English, with a notice posted in a group room I administer."""
    base = server.url
    ctx = browser.new_context(bypass_csp=True, locale="en-US", viewport={"width": 375, "height": 740})
    other_ctx = browser.new_context()
    me, other = new_page(ctx), new_page(other_ctx)
    errors: list[str] = []
    me.on("pageerror", lambda e: errors.append(str(e)))
    found: list[str] = []
    me.goto(base + "/")
    me.locator("#auth-lang").select_option("en")
    expect(me.locator("html")).to_have_attribute("lang", "en")
    found += serious_violations(me, "login (375, en)")
    mine, theirs = unique("axphone"), unique("axpeer")
    register(me, base, mine, "Phone User")
    register(other, base, theirs, "Peer")
    me.get_by_test_id("new-room").click()
    me.locator('input[name="type"][value="group"]').check()
    me.locator('input[name="name"]').fill("Team")
    me.locator("#user-search").fill(theirs)
    me.locator(f'[data-testid="user-result"]:has-text("@{theirs}")').click()
    found += serious_violations(me, "new group (375, en)")
    me.locator("#new-room-create").click()
    expect(me.get_by_test_id("composer-input")).to_be_visible()
    send(me, "Hello from a phone")
    expect(message(me, "Hello from")).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    found += serious_violations(me, "chat (375, en)")
    me.get_by_test_id("notice-new").click()
    expect(me.get_by_test_id("notice-dialog")).to_be_visible()
    found += serious_violations(me, "notice dialog (375, en)")
    me.keyboard.press("Escape")
    expect(me.get_by_test_id("notice-dialog")).to_be_hidden()
    # The thread panel: a full-screen sheet at this width.
    target = message(me, "Hello from")
    target.locator(".bubble").click(position={"x": 6, "y": 6})
    target.locator('[data-act="thread"]').click()
    expect(me.get_by_test_id("thread-panel")).to_be_visible()
    me.wait_for_load_state("networkidle")
    found += serious_violations(me, "thread panel (375, en)")
    me.keyboard.press("Escape")
    expect(me.get_by_test_id("thread-panel")).to_be_hidden()
    me.locator("#back").click()
    expect(me.get_by_test_id("room-list")).to_be_visible()
    found += serious_violations(me, "room list (375, en)")
    assert found == [], "\n".join(found)
    assert errors == []
    ctx.close()
    other_ctx.close()


def test_keyboard_focus_stays_on_a_message_while_it_is_redrawn(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    """A keyboard user on a colleague's name keeps their place while the message is redrawn (a reaction
    arrives): Enter still opens the profile card instead of going to the page."""
    people = sign_up(browser, server.url, ("kim", "김민지"), ("lee", "이서준"))
    (a, b), (_, lee) = people.pages, people.names
    room = open_direct(a, lee)
    open_room(b, room)
    send(b, "이름에 포커스")
    theirs = message(a, "이름에 포커스")
    expect(theirs).to_have_attribute("data-message-id", re.compile(r"^\d+$"))
    msg_id = int(theirs.get_attribute("data-message-id") or 0)
    name = theirs.locator('[role="button"][data-profile]').last
    name.focus()
    expect(name).to_be_focused()
    b.evaluate("""async (id) => {
      const { csrf_token: token } = await (await fetch('/api/me')).json();
      const r = await fetch(`/api/messages/${id}/reactions`, { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token }, body: JSON.stringify({ emoji: '👍' }) });
      if (!r.ok) throw new Error('reaction ' + r.status);
    }""", msg_id)
    expect(theirs.locator(".reactions")).to_contain_text("👍")
    expect(name).to_be_focused()
    a.keyboard.press("Enter")
    expect(a.get_by_test_id("profile-card")).to_be_visible()
    assert not people.errors, people.errors
