"""After the server restarts, the client reconnects, sends what was queued and shows every message once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import requests
from playwright.sync_api import Browser, expect

from tests.browser.server import ROOT
from tests.browser.ui import PASSWORD, message, open_direct, open_room, send, sign_up, wait_connected


def api_session(base: str, username: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    body = s.post(base + "/api/login", json={"username": username, "password": PASSWORD}, timeout=10).json()
    return s, body["csrf_token"]


def test_reconnect_after_server_restart_shows_every_message_once(browser: Browser, own_server) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    people = sign_up(browser, base, ("ra", "재접속A"), ("rb", "재접속B"))
    (a, b), (_, bob), errors = people.pages, people.names, people.errors
    room_id = open_direct(a, bob)
    for i in range(3):
        send(a, f"재시작 전 {i}")
    expect(message(a, "재시작 전 2")).not_to_have_attribute("data-message-id", "")
    open_room(b, room_id)
    expect(message(b, "재시작 전 2")).to_have_count(1)

    own_server.stop()
    expect(a.locator("#offline-banner")).to_be_visible(timeout=10000)
    expect(b.locator("#offline-banner")).to_be_visible(timeout=10000)
    # Sent while the server is down: shown at once as pending, delivered after the restart.
    send(a, "끊긴 동안 보냄")
    expect(message(a, "끊긴 동안 보냄")).to_have_class(re.compile(r"\bpending\b"))

    own_server.start()
    # Messages sent by a script right after the restart race the browsers' reconnects; either the
    # catch-up fetch or the live event brings them, never both.
    s, csrf = api_session(base, bob)
    for i in range(3):
        r = s.post(f"{base}/api/rooms/{room_id}/messages", json={"content": f"재시작 후 {i}"},
                   headers={"X-CSRF-Token": csrf}, timeout=10)
        assert r.status_code in (200, 201), r.text
    for p in (a, b):
        expect(p.locator("#offline-banner")).to_be_hidden(timeout=20000)
        wait_connected(p)
    expected = [f"재시작 전 {i}" for i in range(3)] + ["끊긴 동안 보냄"] + [f"재시작 후 {i}" for i in range(3)]
    for p in (a, b):
        for text in expected:
            expect(message(p, text)).to_have_count(1, timeout=15000)
        expect(p.locator('[data-testid="message"].pending')).to_have_count(0, timeout=15000)
        expect(p.get_by_test_id("message")).to_have_count(len(expected))
    # The server stored the queued message exactly once too.
    history = s.get(f"{base}/api/rooms/{room_id}/messages?limit=50", timeout=10).json()["messages"]
    assert sorted(m["content"] for m in history) == sorted(expected)
    assert errors == []
    people.close()


def _updated_copy(dest: Path) -> Path:
    """The program as an update would install it: the same code with one file of the web client changed."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "messenger", dest / "messenger", ignore=ignore)
    shutil.copytree(ROOT / "gui", dest / "gui", ignore=ignore)
    shutil.copy2(ROOT / "launcher.py", dest / "launcher.py")
    with open(dest / "messenger" / "web" / "static" / "js" / "app.js", "a", encoding="utf-8") as f:
        f.write("\n// the next version\n")
    return dest


def test_a_tab_open_across_an_update_offers_a_reload(browser: Browser, own_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = own_server.url
    people = sign_up(browser, base, ("upd", "업데이트"))
    (page,), errors = people.pages, people.errors
    wait_connected(page)
    started = page.evaluate("fetch('/api/config').then((r) => r.json()).then((c) => c.client_build)")
    # A restart of the same program: the tab reconnects, asks, and has nothing to offer.
    own_server.restart()
    expect(page.locator("body")).to_have_attribute("data-server-build", started, timeout=30000)
    expect(page.get_by_test_id("update-banner")).to_be_hidden()
    # The same data and port served by an updated program: the tab says so and reloads on request.
    own_server.stop()
    expect(page.locator("#offline-banner")).to_be_visible(timeout=10000)
    own_server.root = _updated_copy(tmp_path / "next")
    own_server.start()
    banner = page.get_by_test_id("update-banner")
    expect(banner).to_be_visible(timeout=30000)
    expect(banner).to_contain_text("새 버전")
    assert page.locator("body").get_attribute("data-server-build") != started
    page.get_by_test_id("update-reload").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    wait_connected(page)
    now = page.evaluate("fetch('/api/config').then((r) => r.json()).then((c) => c.client_build)")
    assert now != started
    expect(page.get_by_test_id("update-banner")).to_be_hidden()
    assert errors == []
    people.close()
