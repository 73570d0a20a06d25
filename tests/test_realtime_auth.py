"""Socket.IO over a real server: authentication, WebSocket transport, revocation, Origin check."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
import socketio

from tests.helpers import PASSWORD, LiveUser, SocketRecorder


def test_socket_without_session_is_refused(live_server: Any) -> None:
    rec = SocketRecorder()
    with pytest.raises(socketio.exceptions.ConnectionError):
        rec.client.connect(live_server.url, transports=["websocket"], wait_timeout=5)
    rec2 = SocketRecorder()
    with pytest.raises(socketio.exceptions.ConnectionError):
        rec2.client.connect(live_server.url, headers={"Cookie": "im_session=forged"},
                            transports=["websocket"], wait_timeout=5)


def test_websocket_transport_works(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    rec = kim.socket()
    try:
        assert rec.client.transport() == "websocket"
        ack = rec.call("set_presence", {"presence": "away"})
        assert ack == {"ok": True, "presence": "away"}
        bad = rec.call("set_presence", {"presence": "dancing"})
        assert bad["ok"] is False and bad["code"] == "invalid_field"
    finally:
        rec.disconnect()


def test_a_burst_reaches_a_websocket_whole_and_in_order(live_server: Any) -> None:
    """40 sends at once: the server writes what a socket's writer has queued in one go (several
    WebSocket frames per write); the other member's client still reads every message once, intact, in
    the order the server stored them, and the sender every acknowledgement."""
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room_id = kim.post("/api/rooms", json={"type": "direct", "user_id": lee.id}).json()["room"]["id"]
    sender, reader = kim.socket(), lee.socket()
    acks: list[Any] = []
    all_acked = threading.Event()

    def acked(ack: Any) -> None:
        acks.append(ack)
        if len(acks) == 40:
            all_acked.set()

    try:
        assert reader.client.transport() == "websocket"
        texts = [f"묶음 {i} " + "가" * (i * 40) for i in range(40)]  # up to ~4.7 KB: frames of many sizes
        for i, text in enumerate(texts):
            sender.client.emit("send_message", {"room_id": room_id, "content": text, "client_msg_id": f"burst-{i}"},
                               callback=acked)
        reader.wait_for("new_message", lambda d: len(reader.of("new_message")) >= 40, timeout=15)
        got = [d["message"] for d in reader.of("new_message")]
        assert len(got) == 40
        assert sorted(m["content"] for m in got) == sorted(texts)
        assert [m["id"] for m in got] == sorted(m["id"] for m in got)
        sender.wait_for("new_message", lambda d: len(sender.of("new_message")) >= 40, timeout=15)
        assert all_acked.wait(15) and all(a["ok"] for a in acks)
    finally:
        sender.disconnect()
        reader.disconnect()


def test_polling_transport_works_too(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    rec = kim.socket(transports=["polling"])
    try:
        assert rec.client.transport() == "polling"
        assert rec.call("set_presence", {"presence": "online"})["ok"] is True
    finally:
        rec.disconnect()


def test_password_change_disconnects_other_sessions(live_server: Any) -> None:
    a = LiveUser(live_server.url, "kim")
    b = LiveUser(live_server.url, "kim", register=False)
    sock_a = a.socket()
    sock_b = b.socket()
    try:
        r = a.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "another-pass-9"})
        assert r.status_code == 200
        sock_b.wait_for("session_revoked")
        sock_b.client.sleep(0.5)
        assert not sock_b.client.connected
        r = b.get("/api/me")
        assert r.status_code == 401 and r.json()["code"] == "session_revoked"
        assert a.get("/api/me").status_code == 200
        assert sock_a.client.connected
        assert sock_a.call("set_presence", {"presence": "online"})["ok"] is True
        assert sock_a.of("session_revoked") == []
        # B's old cookie can no longer open a socket either.
        again = SocketRecorder()
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.client.connect(live_server.url, headers={"Cookie": b.cookie_header()},
                                 transports=["websocket"], wait_timeout=5)
    finally:
        sock_a.disconnect()
        sock_b.disconnect()


def test_socket_from_a_foreign_origin_is_refused(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    rec = SocketRecorder()
    with pytest.raises(socketio.exceptions.ConnectionError):
        rec.client.connect(live_server.url, headers={"Cookie": kim.cookie_header(), "Origin": "http://evil.example"},
                           transports=["websocket"], wait_timeout=5)


def test_presence_counts_tabs_once(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    lee = LiveUser(live_server.url, "lee")
    tabs = [kim.socket(), kim.socket()]
    try:
        users = {u["username"]: u for u in lee.get("/api/users").json()["users"]}
        assert users["kim"]["presence"] == "online"
        tabs[0].disconnect()
        tabs[0].client.sleep(0.3)
        users = {u["username"]: u for u in lee.get("/api/users").json()["users"]}
        assert users["kim"]["presence"] == "online"
        tabs[1].disconnect()
        tabs[1].client.sleep(0.3)
        users = {u["username"]: u for u in lee.get("/api/users").json()["users"]}
        assert users["kim"]["presence"] == "offline"
    finally:
        for t in tabs:
            t.disconnect()


def test_server_answers_http_while_sockets_are_open(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    socks = [kim.socket() for _ in range(5)]
    try:
        assert requests.get(live_server.url + "/api/health", timeout=5).json()["status"] == "ok"
    finally:
        for s in socks:
            s.disconnect()
