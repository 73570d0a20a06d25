"""Malformed input is a 4xx with a clear code, for HTTP and Socket.IO alike (#18 items 5, 6, 7):
lone surrogates → invalid_text, deep nesting → invalid_json, out-of-range integers → invalid_field."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import websocket

from tests.helpers import LiveUser, TestUser

SURROGATE = "a\ud800b"


def _raw(client: Any, path: str, text: str, csrf: str | None = None, method: str = "POST") -> Any:
    headers = {"Content-Type": "application/json", **({"X-CSRF-Token": csrf} if csrf else {})}
    return client.open(path, method=method, data=text.encode("utf-8", "surrogatepass"), headers=headers)


def _room(owner: TestUser, *members: TestUser) -> int:
    r = owner.post("/api/rooms", json={"type": "group", "name": "보안", "member_ids": [m.id for m in members]})
    assert r.status_code == 201, r.get_json()
    return int(r.get_json()["room"]["id"])


@pytest.mark.parametrize("path,body", [
    ("/api/register", {"username": SURROGATE, "password": "long-password-1"}),
    ("/api/register", {"username": "lee", "password": "long-" + SURROGATE + "-pw"}),
    ("/api/login", {"username": "kim", "password": SURROGATE}),
])
def test_lone_surrogates_before_login_are_invalid_text(app: Any, path: str, body: dict[str, Any]) -> None:
    TestUser(app, "kim")
    r = _raw(app.test_client(), path, json.dumps(body))
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_text", r.get_json()


def test_lone_surrogates_in_every_text_field_are_invalid_text(app: Any) -> None:
    kim = TestUser(app, "kim")
    lee = TestUser(app, "lee")
    room = _room(kim, lee)
    sent = kim.post(f"/api/rooms/{room}/messages", json={"content": "hello"}).get_json()["message"]
    cases = [
        ("POST", f"/api/rooms/{room}/messages", {"content": SURROGATE}),
        ("POST", f"/api/rooms/{room}/messages", {"content": "hi", "client_msg_id": SURROGATE}),
        ("PATCH", f"/api/messages/{sent['id']}", {"content": SURROGATE}),
        ("POST", "/api/rooms", {"type": "group", "name": SURROGATE, "member_ids": [lee.id]}),
        ("PATCH", f"/api/rooms/{room}", {"topic": SURROGATE}),
        ("PATCH", "/api/me", {"display_name": SURROGATE}),
        ("PATCH", "/api/me", {"status_message": SURROGATE}),
        ("POST", "/api/me/password", {"current_password": SURROGATE, "new_password": "long-password-2"}),
        ("POST", f"/api/rooms/{room}/polls", {"question": SURROGATE, "options": ["a", "b"]}),
        ("POST", f"/api/rooms/{room}/polls", {"question": "q", "options": ["a", SURROGATE]}),
        ("POST", f"/api/messages/{sent['id']}/reactions", {"emoji": SURROGATE}),
        ("POST", "/api/search/advanced", {"q": SURROGATE}),
        ("POST", "/api/rooms", {"type": "group", "name": "x", "member_ids": [lee.id], SURROGATE: 1}),
    ]
    for method, path, body in cases:
        r = _raw(kim.client, path, json.dumps(body), kim.csrf, method)
        assert r.status_code == 400 and r.get_json()["code"] == "invalid_text", (method, path, r.get_json())


@pytest.mark.parametrize("depth", [17, 100, 5000, 100_000])
def test_deep_nesting_is_invalid_json(app: Any, depth: int) -> None:
    kim = TestUser(app, "kim")
    nested = "[" * depth + "]" * depth
    for client, path, csrf in ((app.test_client(), "/api/login", None), (kim.client, "/api/rooms", kim.csrf)):
        r = _raw(client, path, '{"username": "kim", "password": "x", "type": ' + nested + "}", csrf)
        assert r.status_code == 400 and r.get_json()["code"] == "invalid_json", (path, depth, r.get_json())
        r = _raw(client, path, nested, csrf)
        assert r.status_code == 400 and r.get_json()["code"] == "invalid_json", (path, depth, r.get_json())


def test_huge_and_negative_integers_are_refused_everywhere(app: Any) -> None:
    kim = TestUser(app, "kim")
    lee = TestUser(app, "lee")
    room = _room(kim, lee)
    for bad in (2**64, 2**63, 2**31, -(2**64), -1, 0):
        for method, path, body in (
            ("POST", "/api/rooms", {"type": "group", "name": "n", "member_ids": [lee.id, bad]}),
            ("POST", f"/api/rooms/{room}/members", {"user_ids": [bad]}),
            ("POST", "/api/rooms", {"type": "direct", "user_id": bad}),
            ("POST", f"/api/rooms/{room}/messages", {"content": "x", "reply_to_id": bad}),
            ("POST", f"/api/rooms/{room}/read", {"message_id": bad}),
            ("POST", f"/api/rooms/{room}/pins", {"message_id": bad}),
            ("POST", "/api/search/advanced", {"q": "x", "sender_id": bad}),
        ):
            r = _raw(kim.client, path, json.dumps(body), kim.csrf, method)
            assert r.status_code == 400 and r.get_json()["code"] == "invalid_field", (bad, path, r.get_json())
    # Nothing was stored by any of them: the room still has its two members.
    assert len(kim.get(f"/api/rooms/{room}").get_json()["room"]["members"]) == 2


# ---- Socket.IO ---------------------------------------------------------------------------------
@pytest.fixture
def chat(live_server: Any) -> Any:
    kim = LiveUser(live_server.url, "kim")
    lee = LiveUser(live_server.url, "lee")
    room = kim.post("/api/rooms", json={"type": "group", "name": "소켓", "member_ids": [lee.id]}).json()["room"]["id"]
    sent = kim.post(f"/api/rooms/{room}/messages", json={"content": "hi"}).json()["message"]
    sock = kim.socket()
    yield {"kim": kim, "room": room, "message": sent["id"], "sock": sock, "url": live_server.url}
    sock.disconnect()


def test_socket_events_refuse_surrogates_nesting_and_huge_ids(chat: Any) -> None:
    sock, room, msg = chat["sock"], chat["room"], chat["message"]
    cases = [
        ("send_message", {"room_id": room, "content": SURROGATE, "client_msg_id": "c1"}, "invalid_text"),
        ("send_message", {"room_id": room, "content": "hi", "client_msg_id": SURROGATE}, "invalid_text"),
        ("edit_message", {"message_id": msg, "content": SURROGATE}, "invalid_text"),
        ("toggle_reaction", {"message_id": msg, "emoji": SURROGATE}, "invalid_text"),
        ("typing", {"room_id": room, "is_typing": True, SURROGATE: 1}, "invalid_text"),
        ("send_message", {"room_id": 2**64, "content": "x"}, "invalid_field"),
        ("send_message", {"room_id": -(2**64), "content": "x"}, "invalid_field"),
        ("mark_read", {"room_id": room, "message_id": 2**63}, "invalid_field"),
        ("delete_message", {"message_id": -1}, "invalid_field"),
        ("join_room", {"room_id": 2**64}, "invalid_field"),
        ("set_presence", {"presence": [[[[[[[[[[[[[[[[[["away"]]]]]]]]]]]]]]]]]]}, "invalid_json"),
        ("send_message", {"room_id": room, "content": "x", "extra": json.loads("[" * 200 + "]" * 200)},
         "invalid_json"),
    ]
    for event, data, code in cases:
        ack = sock.call(event, data)
        assert ack["ok"] is False and ack["code"] == code, (event, ack)
    assert sock.call("send_message", {"room_id": room, "content": "still fine", "client_msg_id": "c2"})["ok"]


def test_a_socket_packet_too_deep_to_decode_still_gets_an_ack(chat: Any) -> None:
    """Deeper than Python's JSON decoder goes (it raised RecursionError inside python-socketio)."""
    url = chat["url"].replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, cookie=chat["kim"].cookie_header(), origin=chat["url"], timeout=10)
    try:
        assert ws.recv().startswith("0")  # Engine.IO open
        ws.send("40")
        while not (frame := ws.recv()).startswith("40"):
            pass
        depth = 50_000
        ws.send("4217" + '["send_message",' + "[" * depth + "]" * depth + "]")
        while True:
            frame = ws.recv()
            if frame == "2":
                ws.send("3")
                continue
            if frame.startswith("4317"):
                break
        ack = json.loads(frame[4:])[0]
        assert ack["ok"] is False and ack["code"] == "invalid_json", ack
    finally:
        ws.close()
    requests.get(chat["url"] + "/api/health", timeout=5).raise_for_status()


def test_query_strings_are_checked_by_their_models(app: Any) -> None:
    kim = TestUser(app, "kim")
    room = _room(kim, TestUser(app, "lee"))
    for query, reason in (("limit=abc", "type"), ("limit=101", "maximum"), ("before_id=-1", "minimum"),
                          (f"before_id={2**64}", "range"), ("after_id=-5", "minimum")):
        r = kim.get(f"/api/rooms/{room}/messages?{query}")
        body = r.get_json()
        assert r.status_code == 400 and body["code"] == "invalid_field" and body["params"]["reason"] == reason, (query, body)
    assert kim.get(f"/api/rooms/{room}/messages?limit=&before_id=&unknown=1").status_code == 200
    r = kim.get("/api/search?q=x&offset=100001")
    assert r.status_code == 400 and r.get_json()["params"] == {"field": "offset", "reason": "maximum", "max": 100_000}
