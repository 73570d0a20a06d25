"""Membership changes across two server processes (Redis message queue, one PostgreSQL database):
a member added on node A hears the room at once on node B; a member kicked on A stops hearing it on B."""

from __future__ import annotations

import time
from typing import Any

from tests.admin.test_scaleout import cluster  # noqa: F401  (two launcher nodes + Redis + PostgreSQL)
from tests.helpers import LiveUser, SocketRecorder


def _socket(user: LiveUser, base: str) -> SocketRecorder:
    rec = SocketRecorder()
    rec.client.connect(base, headers={"Cookie": user.cookie_header()}, transports=["websocket"], wait_timeout=10)
    return rec


def test_add_and_kick_take_effect_on_the_other_node(cluster: Any) -> None:  # noqa: F811
    _redis, a, b = cluster
    kim = LiveUser(a.base, "kim")
    lee = LiveUser(b.base, "lee")
    park = LiveUser(b.base, "park")
    room_id = kim.post("/api/rooms", json={"type": "group", "name": "팀", "member_ids": [lee.id]}).json()["room"]["id"]
    kim_a, lee_b, park_b = _socket(kim, a.base), _socket(lee, b.base), _socket(park, b.base)
    try:
        # park's socket on B was open before being added on A: it hears the room without reconnecting.
        assert kim.post(f"/api/rooms/{room_id}/members", json={"user_ids": [park.id]}).status_code == 200
        park_b.wait_for("room_updated", lambda d: d["room"]["id"] == room_id)
        hello = kim_a.call("send_message", {"room_id": room_id, "content": "모두 안녕"})["message"]
        park_b.wait_for("new_message", lambda d: d["message"]["id"] == hello["id"])
        lee_b.wait_for("new_message", lambda d: d["message"]["id"] == hello["id"])
        # lee is kicked on A; lee's socket on B hears nothing of the room afterwards.
        assert kim.delete(f"/api/rooms/{room_id}/members/{lee.id}").status_code == 200
        lee_b.wait_for("room_removed", lambda d: d == {"room_id": room_id})
        secret = kim_a.call("send_message", {"room_id": room_id, "content": "lee 없이"})["message"]
        kim_a.call("typing", {"room_id": room_id, "is_typing": True})
        park_b.wait_for("new_message", lambda d: d["message"]["id"] == secret["id"])
        park_b.wait_for("typing", lambda d: d["is_typing"] is True)
        # node B has relayed both to its sockets; lee's answer from B comes after anything B sent lee before
        assert lee_b.call("join_room", {"room_id": room_id})["code"] == "forbidden"
        assert not [d for d in lee_b.of("new_message") if d["message"]["id"] == secret["id"]]
        assert not [d for d in lee_b.of("typing")]
    finally:
        for s in (kim_a, lee_b, park_b):
            s.disconnect()


def test_every_member_socket_on_either_node_gets_each_message_once(cluster: Any) -> None:  # noqa: F811
    """One emit to the members' channels, published once on the queue: each socket of each member, on
    the sender's node or the other, receives every message exactly once; a non-member nothing."""
    _redis, a, b = cluster
    kim = LiveUser(a.base, "kim2")
    lee = LiveUser(b.base, "lee2")
    park = LiveUser(b.base, "park2")
    eve = LiveUser(a.base, "eve2")
    room_id = kim.post("/api/rooms", json={"type": "group", "name": "둘", "member_ids": [lee.id, park.id]}).json()["room"]["id"]
    socks = {"kim_a": _socket(kim, a.base), "lee_a": _socket(lee, a.base), "lee_b": _socket(lee, b.base),
             "park_b": _socket(park, b.base), "eve_a": _socket(eve, a.base), "eve_b": _socket(eve, b.base)}
    try:
        sent = [socks["kim_a"].call("send_message", {"room_id": room_id, "content": f"한 번씩 {i}"})["message"]["id"]
                for i in range(5)]
        for name in ("kim_a", "lee_a", "lee_b", "park_b"):
            socks[name].wait_for("new_message", lambda d: d["message"]["id"] == sent[-1])
        time.sleep(0.3)  # a duplicate would come right behind
        for name in ("kim_a", "lee_a", "lee_b", "park_b"):
            got = [d["message"]["id"] for d in socks[name].of("new_message")]
            assert got == sent, name
        assert socks["eve_a"].of("new_message") == [] and socks["eve_b"].of("new_message") == []
    finally:
        for s in socks.values():
            s.disconnect()
