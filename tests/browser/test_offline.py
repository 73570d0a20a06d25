"""The offline queue with the network really cut (a TCP relay between one browser and the server whose
connections are closed and refused, not planted storage): messages written while cut show as pending,
survive a reload made while the live link is still down, and after it returns each reaches the other
person exactly once (client_msg_id). And a message whose acknowledgement was lost on the way (the cut
came between the server storing it and the ack reaching the browser) shows once after a reload."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, WebSocket, expect

from tests.browser.netcut import CuttableLink
from tests.browser.ui import message, new_page, open_direct, open_room, register, send, unique

QUEUED = ["끊긴 동안 첫 번째", "끊긴 동안 두 번째", "새로고침 뒤 세 번째"]


def test_messages_written_while_cut_go_out_once_after_the_link_returns_even_across_a_reload(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    link = CuttableLink(server.port)
    cb, ca = browser.new_context(), browser.new_context()
    try:
        b = new_page(cb)
        # Every new_message B's sockets receive, by content: "exactly once" as the other person's socket sees it.
        received: list[str] = []

        def watch(ws: WebSocket) -> None:
            def frame(payload: str | bytes) -> None:
                text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
                if text.startswith('42["new_message"'):
                    received.append(json.loads(text[2:])[1]["message"]["content"])
            ws.on("framereceived", frame)

        b.on("websocket", watch)
        errors: list[str] = []
        a = new_page(ca)  # A reaches the server only through the link
        for p in (a, b):
            p.on("pageerror", lambda e: errors.append(str(e)))
        alice, bob = unique("kim"), unique("lee")
        register(b, server.url, bob, "이서준")
        register(a, link.url, alice, "김민지")
        room = open_direct(a, bob)
        send(a, "연결 확인")
        open_room(b, room)
        expect(message(b, "연결 확인")).to_have_count(1)

        link.cut()
        expect(a.locator("#offline-banner")).to_be_visible(timeout=10000)
        for text in QUEUED[:2]:
            send(a, text)
            expect(message(a, text)).to_have_class(re.compile(r"\bpending\b"))
        # The page can load again, the live link is still down: reload. The queue is still there, pending.
        link.cut(pages=True)
        a.reload()
        expect(a.get_by_test_id("room-list")).to_be_visible()
        expect(a.locator("#offline-banner")).to_be_visible(timeout=10000)
        open_room(a, room)
        for text in QUEUED[:2]:
            expect(message(a, text)).to_have_count(1)
            expect(message(a, text)).to_have_class(re.compile(r"\bpending\b"))
        send(a, QUEUED[2])
        expect(message(a, QUEUED[2])).to_have_class(re.compile(r"\bpending\b"))
        assert not any(text in received for text in QUEUED)  # nothing got through while cut

        link.restore()
        expect(a.locator("#offline-banner")).to_be_hidden(timeout=20000)
        for text in QUEUED:
            expect(message(b, text)).to_have_count(1, timeout=15000)
            expect(message(a, text)).to_have_count(1)
        expect(a.locator('[data-testid="message"].pending')).to_have_count(0, timeout=15000)
        b.wait_for_function("(n) => document.querySelectorAll('[data-testid=message]').length >= n", arg=len(QUEUED) + 1)
        assert sorted(received) == sorted(["연결 확인", *QUEUED]), received  # each reached B's socket once
        # Stored once each: after a reload of both, every message is there once.
        for p in (a, b):
            p.reload()
            open_room(p, room)
            for text in ["연결 확인", *QUEUED]:
                expect(message(p, text)).to_have_count(1)
            expect(p.get_by_test_id("message")).to_have_count(len(QUEUED) + 1)
        assert a.evaluate("(k) => localStorage.getItem(k)", f"im.outbox:{a.evaluate('() => window.__im.state.me.id')}") == "{}"
        assert errors == []
    finally:
        ca.close()
        cb.close()
        link.close()


def test_a_message_stored_but_not_acknowledged_shows_once_after_a_reload(browser: Browser, server) -> None:  # type: ignore[no-untyped-def]
    # Seen under load: the link was cut after the server stored "연결 확인" and before its ack arrived,
    # so the browser kept it in its queue; after a reload made while the live link was still down, the
    # page showed it twice (the stored message and a pending bubble that never went away). The browser's
    # queue is set here exactly as the app leaves it when the ack is lost (that race is not reproducible
    # on demand); the cut and the reload are real.
    link = CuttableLink(server.port)
    cb, ca = browser.new_context(), browser.new_context()
    try:
        b, a = new_page(cb), new_page(ca)
        errors: list[str] = []
        for p in (a, b):
            p.on("pageerror", lambda e: errors.append(str(e)))
        alice, bob = unique("acka"), unique("ackb")
        register(b, server.url, bob, "이둘")
        register(a, link.url, alice, "김하나")
        room = open_direct(a, bob)
        send(a, "한 번만 보여야 함")
        expect(message(a, "한 번만 보여야 함")).not_to_have_class(re.compile(r"\bpending\b"))
        me = a.evaluate("window.__im.state.me.id")
        cmid = a.evaluate("""async (room) => {
          const r = await fetch(`/api/rooms/${room}/messages?limit=5`);
          return (await r.json()).messages.find((m) => m.content === '한 번만 보여야 함').client_msg_id;
        }""", room)
        assert cmid
        link.cut(pages=True)
        a.evaluate("""([room, cmid, me]) => localStorage.setItem('im.outbox:' + me, JSON.stringify({[cmid]: {roomId: room,
          payload: {room_id: room, content: '한 번만 보여야 함', type: 'text', client_msg_id: cmid}}}))""", [room, cmid, me])
        a.reload()
        expect(a.get_by_test_id("room-list")).to_be_visible()
        open_room(a, room)
        expect(a.locator("#offline-banner")).to_be_visible(timeout=10000)
        expect(message(a, "한 번만 보여야 함")).to_have_count(1)  # the stored one; no bubble beside it
        expect(a.locator('[data-testid="message"].pending')).to_have_count(0)
        link.restore()
        expect(a.locator("#offline-banner")).to_be_hidden(timeout=20000)
        # The resend is answered with the stored message: the queue empties, one message is left.
        a.wait_for_function("(me) => (localStorage.getItem('im.outbox:' + me) || '{}') === '{}'", arg=me)
        expect(message(a, "한 번만 보여야 함")).to_have_count(1)
        expect(a.locator('[data-testid="message"].pending')).to_have_count(0)
        assert errors == []
    finally:
        cb.close()
        ca.close()
        link.close()
