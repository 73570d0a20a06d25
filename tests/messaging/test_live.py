"""Real python-socketio clients against a running server: send, ack, broadcast, resend, catch-up, authz."""

from __future__ import annotations

import time
from typing import Any

from tests.helpers import LiveUser
from tests.messaging.common import group


def test_two_users_exchange_messages(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim", "김철수"), LiveUser(live_server.url, "lee", "이영희")
    room = group(kim, "대화", lee)
    a, b = kim.socket(), lee.socket()
    try:
        ack = a.call("send_message", {"room_id": room["id"], "content": "안녕하세요 <script>x</script>",
                                      "client_msg_id": "c-1"})
        assert ack["ok"] is True, ack
        msg = ack["message"]
        assert msg["content"] == "안녕하세요 <script>x</script>"  # stored as typed
        assert msg["sender"]["display_name"] == "김철수" and msg["created_at"].endswith("Z")
        got = b.wait_for("new_message", lambda d: d["message"]["id"] == msg["id"])
        assert got["message"]["content"] == msg["content"]
        reply = b.call("send_message", {"room_id": room["id"], "content": "반가워요 @kim",
                                        "reply_to_id": msg["id"], "client_msg_id": "c-1"})
        assert reply["ok"] is True
        r = reply["message"]
        assert r["reply_to"]["id"] == msg["id"] and r["mentions"] == [kim.id]
        a.wait_for("new_message", lambda d: d["message"]["id"] == r["id"])
        # Lee replied, so lee has read kim's message; kim reads lee's reply.
        assert kim.get(f"/api/rooms/{room['id']}/messages").json()["messages"][0]["read_count"] == 0
        ack = a.call("mark_read", {"room_id": room["id"], "message_id": r["id"]})
        assert ack == {"ok": True, "room_id": room["id"], "message_id": r["id"]}
        upd = b.wait_for("read_updated", lambda d: d["user_id"] == kim.id)
        assert upd == {"room_id": room["id"], "user_id": kim.id, "message_id": r["id"], "previous_message_id": msg["id"]}
        # Moving backwards is a no-op.
        assert a.call("mark_read", {"room_id": room["id"], "message_id": msg["id"]})["message_id"] == r["id"]
        history = kim.get(f"/api/rooms/{room['id']}/messages").json()["messages"]
        assert [(m["id"], m["read_count"]) for m in history[:2]] == [(r["id"], 1), (msg["id"], 1)]
    finally:
        a.disconnect()
        b.disconnect()


def test_resend_with_same_client_msg_id_yields_one_message(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, "대화", lee)
    a, b = kim.socket(), lee.socket()
    try:
        payload = {"room_id": room["id"], "content": "한 번만", "client_msg_id": "retry-42"}
        first = a.call("send_message", payload)
        second = a.call("send_message", payload)
        third = kim.post(f"/api/rooms/{room['id']}/messages", json={"content": "한 번만", "client_msg_id": "retry-42"})
        assert first["ok"] and second["ok"] and third.status_code == 200  # 200: not new
        assert first["duplicate"] is False and second["duplicate"] is True
        assert first["message"]["id"] == second["message"]["id"] == third.json()["message"]["id"]
        b.wait_for("new_message", lambda d: d["message"]["content"] == "한 번만")
        # lee's own answer comes after anything the server sent lee before it: nothing more came
        assert b.call("join_room", {"room_id": room["id"]})["ok"]
        assert len([e for e in b.of("new_message") if e["message"]["content"] == "한 번만"]) == 1
        msgs = kim.get(f"/api/rooms/{room['id']}/messages").json()["messages"]
        assert len([m for m in msgs if m["content"] == "한 번만"]) == 1
    finally:
        a.disconnect()
        b.disconnect()


def test_offline_client_catches_up_all_fifty_in_order(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, "대화", lee)
    a = kim.socket()
    b = lee.socket()
    first = a.call("send_message", {"room_id": room["id"], "content": "before", "client_msg_id": "x0"})
    b.wait_for("new_message", lambda d: d["message"]["id"] == first["message"]["id"])
    last_seen = first["message"]["id"]
    b.disconnect()  # lee's Wi-Fi drops
    try:
        sent = []
        for i in range(50):
            ack = a.call("send_message", {"room_id": room["id"], "content": f"msg {i}", "client_msg_id": f"m{i}"})
            assert ack["ok"], ack
            sent.append(ack["message"]["id"])
        b = lee.socket()  # back online: ask for everything after the last message it has
        got: list[dict[str, Any]] = []
        after = last_seen
        while True:
            page = lee.get(f"/api/rooms/{room['id']}/messages", params={"after_id": after}).json()
            got.extend(reversed(page["messages"]))  # pages come newest first
            if not page["has_more"]:
                break
            after = got[-1]["id"]
        assert [m["id"] for m in got] == sent
        assert [m["content"] for m in got] == [f"msg {i}" for i in range(50)]
        # Small pages walk forward too, without gaps or repeats.
        ids: list[int] = []
        after = last_seen
        while True:
            page = lee.get(f"/api/rooms/{room['id']}/messages", params={"after_id": after, "limit": 7}).json()
            chunk = [m["id"] for m in reversed(page["messages"])]
            ids.extend(chunk)
            if not page["has_more"]:
                break
            after = chunk[-1]
        assert ids == sent
    finally:
        a.disconnect()
        b.disconnect()


def test_non_member_gets_403_and_no_events(live_server: Any) -> None:
    kim, lee, eve = (LiveUser(live_server.url, n) for n in ("kim", "lee", "eve"))
    room = group(kim, "비밀", lee)
    a, e = kim.socket(), eve.socket()
    try:
        ack = e.call("send_message", {"room_id": room["id"], "content": "끼어들기"})
        assert ack["ok"] is False and ack["code"] == "forbidden"
        assert e.call("join_room", {"room_id": room["id"]})["code"] == "forbidden"
        assert e.call("typing", {"room_id": room["id"], "is_typing": True})["code"] == "forbidden"
        assert e.call("mark_read", {"room_id": room["id"], "message_id": 1})["code"] == "forbidden"
        assert eve.get(f"/api/rooms/{room['id']}/messages").status_code == 403
        assert eve.post(f"/api/rooms/{room['id']}/messages", json={"content": "x"}).status_code == 403
        ack = a.call("send_message", {"room_id": room["id"], "content": "우리끼리"})
        assert eve.post(f"/api/messages/{ack['message']['id']}/reactions", json={"emoji": "👍"}).status_code == 403
        assert eve.patch(f"/api/messages/{ack['message']['id']}", json={"content": "x"}).status_code == 403
        assert eve.delete(f"/api/messages/{ack['message']['id']}").status_code == 403
        a.call("typing", {"room_id": room["id"], "is_typing": True})
        assert e.call("join_room", {"room_id": room["id"]})["code"] == "forbidden"  # eve's queue is flushed
        assert e.of("new_message") == [] and e.of("typing") == [] and e.of("room_updated") == []
    finally:
        a.disconnect()
        e.disconnect()


def test_each_socket_of_each_member_gets_a_message_exactly_once(live_server: Any) -> None:
    """The fan-out is one emit to the members' own channels: a member with two tabs gets one copy in
    each, the sender's own socket one, a non-member none."""
    kim, lee, eve = (LiveUser(live_server.url, n) for n in ("kim", "lee", "eve"))
    room = group(kim, "탭 둘", lee)
    socks = {"kim": kim.socket(), "lee1": lee.socket(), "lee2": lee.socket(), "eve": eve.socket()}
    try:
        sent = [socks["kim"].call("send_message", {"room_id": room["id"], "content": f"복제 없음 {i}"})["message"]["id"]
                for i in range(5)]
        for name in ("kim", "lee1", "lee2"):
            socks[name].wait_for("new_message", lambda d: d["message"]["id"] == sent[-1])
        time.sleep(0.3)  # a duplicate would come right behind
        for name in ("kim", "lee1", "lee2"):
            assert [d["message"]["id"] for d in socks[name].of("new_message")] == sent, name
        assert socks["eve"].of("new_message") == []
    finally:
        for s in socks.values():
            s.disconnect()
