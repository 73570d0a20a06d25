"""After the server restarts, the client reconnects, sends what was queued and shows every message once."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Browser, expect

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
