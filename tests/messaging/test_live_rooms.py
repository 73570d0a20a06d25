"""Live membership changes, typing, presence, reactions and the send rate limit, with real socket clients."""

from __future__ import annotations

import time
from typing import Any

from tests.helpers import LiveUser, presence_updates
from tests.messaging.common import group


def test_kicked_member_leaves_at_once_and_added_member_joins(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, "팀", lee)
    rid = room["id"]
    a, b, c = kim.socket(), lee.socket(), park.socket()
    try:
        # Added: park's open socket is in the room right away, no reconnect.
        assert lee.post(f"/api/rooms/{rid}/members", json={"user_ids": [park.id]}).status_code == 200
        c.wait_for("room_updated", lambda d: d["room"]["id"] == rid)
        sent = a.call("send_message", {"room_id": rid, "content": "환영합니다"})["message"]
        c.wait_for("new_message", lambda d: d["message"]["id"] == sent["id"])
        # Kicked: lee's sockets leave the room at once and hear nothing more.
        assert kim.delete(f"/api/rooms/{rid}/members/{lee.id}").status_code == 200
        b.wait_for("room_removed", lambda d: d == {"room_id": rid})
        a.wait_for("room_updated", lambda d: d["room"]["members_count"] == 2)
        secret = a.call("send_message", {"room_id": rid, "content": "이제 비밀"})["message"]
        a.call("typing", {"room_id": rid, "is_typing": True})
        c.wait_for("new_message", lambda d: d["message"]["id"] == secret["id"])
        # lee's answer comes after anything the server queued for lee before: the marker for "nothing came"
        assert b.call("join_room", {"room_id": rid})["code"] == "forbidden"
        assert not [e for e in b.of("new_message") if e["message"]["id"] == secret["id"]]
        assert not [e for e in b.of("typing") if e["room_id"] == rid]
        assert b.call("send_message", {"room_id": rid, "content": "x"})["code"] == "forbidden"
    finally:
        for s in (a, b, c):
            s.disconnect()


def test_typing_relays_and_expires_and_presence_reaches_room_peers(start_server: Any) -> None:
    expiry = 2.0
    live_server = start_server(TYPING_EXPIRY_SECONDS=expiry)
    kim, lee, eve = (LiveUser(live_server.url, n) for n in ("kim", "lee", "eve"))
    room = group(kim, "팀", lee)
    b = lee.socket()
    e = eve.socket()
    a = kim.socket()
    try:
        b.wait_for("presence_batch", lambda d: {"user_id": kim.id, "presence": "online", "availability": "online",
                                                "status_message": ""} in presence_updates(d))
        assert a.call("set_presence", {"presence": "away"})["ok"]
        b.wait_for("presence_batch", lambda d: (kim.id, "away") in [(u["user_id"], u["presence"]) for u in presence_updates(d)])
        assert a.call("typing", {"room_id": room["id"], "is_typing": True}) == {"ok": True}
        got = b.wait_for("typing", lambda d: d["is_typing"] is True)
        assert got == {"room_id": room["id"], "user_id": kim.id, "display_name": "kim", "is_typing": True}
        time.sleep(0.25 * expiry)  # the typist keeps typing for a while (time passing is what is tested)
        refreshed = time.monotonic()
        assert a.call("typing", {"room_id": room["id"], "is_typing": True}) == {"ok": True}  # still typing
        assert [d["is_typing"] for d in b.of("typing")] == [True]  # not expired yet, and the refresh not relayed
        b.wait_for("typing", lambda d: d["is_typing"] is False, timeout=10)  # nobody said stop: it expires
        # expiry counts from the refresh, not from the first (that would have been 0.25 × expiry earlier)
        assert time.monotonic() - refreshed >= expiry
        assert len(b.of("typing")) == 2  # the refresh is not relayed again
        assert a.of("typing") == []  # never echoed to the typist
        a.call("typing", {"room_id": room["id"], "is_typing": True})
        a.disconnect()  # closing the tab stops typing at once
        stops = b.wait_for("presence_batch", lambda d: (kim.id, "offline") in [(u["user_id"], u["presence"]) for u in presence_updates(d)])
        assert stops
        assert len([d for d in b.of("typing") if d["is_typing"] is False]) == 2
        time.sleep(0.2)
        assert [u for d in e.of("presence_batch") for u in presence_updates(d) if u["user_id"] == kim.id] == []  # no room
    finally:
        for s in (a, b, e):
            s.disconnect()


def test_reactions_and_edits_broadcast(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, "팀", lee)
    a, b = kim.socket(), lee.socket()
    try:
        assert a.call("typing", {"room_id": room["id"], "is_typing": True})["ok"]
        b.wait_for("typing", lambda d: d["is_typing"] is True)
        msg = a.call("send_message", {"room_id": room["id"], "content": "회의 3시"})["message"]
        b.wait_for("typing", lambda d: d["is_typing"] is False, timeout=2)  # sending ends typing at once
        ack = b.call("toggle_reaction", {"message_id": msg["id"], "emoji": "👍"})
        assert ack["ok"] and ack["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [lee.id]}]
        got = a.wait_for("reaction_updated")
        assert got == {"message_id": msg["id"], "room_id": room["id"], "reactions": ack["reactions"]}
        assert b.call("toggle_reaction", {"message_id": msg["id"], "emoji": "hello"})["code"] == "invalid_emoji"
        ack = a.call("edit_message", {"message_id": msg["id"], "content": "회의 4시로 변경"})
        assert ack["ok"] and ack["message"]["edited_at"]
        assert b.wait_for("message_edited")["message"]["content"] == "회의 4시로 변경"
        assert b.call("edit_message", {"message_id": msg["id"], "content": "x"})["code"] == "forbidden"
        ack = a.call("delete_message", {"message_id": msg["id"]})
        assert ack["ok"] and ack["message"]["deleted"] is True
        tomb = b.wait_for("message_deleted")["message"]
        assert tomb["deleted"] is True and tomb["content"] == "" and tomb["reactions"] == []
    finally:
        a.disconnect()
        b.disconnect()


def test_the_101st_message_in_a_minute_is_rate_limited(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    room = group(kim, "혼자")
    assert live_server.svc.settings.SOCKET_SEND_MESSAGE_PER_MINUTE == 100
    a = kim.socket()
    try:
        for i in range(100):
            ack = a.call("send_message", {"room_id": room["id"], "content": f"{i}", "client_msg_id": f"r{i}"})
            assert ack["ok"] is True, (i, ack)
        ack = a.call("send_message", {"room_id": room["id"], "content": "101", "client_msg_id": "r100"})
        assert ack["ok"] is False and ack["code"] == "rate_limited"
        r = kim.post(f"/api/rooms/{room['id']}/messages", json={"content": "http too"})
        assert r.status_code == 429 and r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
        page = kim.get(f"/api/rooms/{room['id']}/messages", params={"limit": 100}).json()
        assert [m["content"] for m in page["messages"]][0] == "99"
    finally:
        a.disconnect()


def test_deactivating_the_only_admin_hands_the_room_over(live_server: Any) -> None:
    boss = LiveUser(live_server.url, "boss")  # first account: server admin
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, "팀", lee)
    assert kim.post(f"/api/rooms/{room['id']}/members", json={"user_ids": [park.id]}).status_code == 200
    b = lee.socket()
    try:
        r = boss.patch(f"/api/admin/users/{kim.id}", json={"is_active": False})
        assert r.status_code == 200, r.text
        b.wait_for("room_updated", lambda d: any(m["user"]["id"] == lee.id and m["role"] == "admin"
                                                  for m in d["room"]["members"]))
        roles = {m["user"]["id"]: m["role"] for m in lee.get(f"/api/rooms/{room['id']}").json()["room"]["members"]}
        assert roles[lee.id] == "admin" and roles[park.id] == "member"
    finally:
        b.disconnect()


def test_presence_changes_arrive_coalesced_at_most_one_batch_a_second(start_server: Any) -> None:
    """Eight members come online one after the other, then all leave at once: a watcher hears every
    change, in batches that hold each user at most once, never more than one batch per second."""
    live_server = start_server(RATE_LIMIT_REGISTER="100/minute")
    boss = LiveUser(live_server.url, "boss")
    team = [LiveUser(live_server.url, f"member{i}") for i in range(8)]
    group(boss, "전체", *team)
    watcher = boss.socket()
    socks: list[Any] = []
    try:
        watcher.wait_for("presence_batch", lambda d: boss.id in [x["user_id"] for x in presence_updates(d)])
        started = time.monotonic()
        socks = [u.socket() for u in team]
        for u in team:
            watcher.wait_for("presence_batch", lambda d, uid=u.id: (uid, "online")
                             in [(x["user_id"], x["presence"]) for x in presence_updates(d)], timeout=10)
        batches = [presence_updates(d) for d in watcher.of("presence_batch")][1:]
        assert len(batches) <= time.monotonic() - started + 1  # one a second at most (the first at once)
        assert all(len({x["user_id"] for x in b}) == len(b) for b in batches)
        before = len(watcher.of("presence_batch"))
        for s in socks:
            s.disconnect()
        for u in team:
            watcher.wait_for("presence_batch", lambda d, uid=u.id: (uid, "offline")
                             in [(x["user_id"], x["presence"]) for x in presence_updates(d)], timeout=10)
        gone = watcher.of("presence_batch")[before:]
        assert 1 <= len(gone) <= 2  # eight changes within a moment: the first batch at once, the rest merged
    finally:
        for s in (watcher, *socks):
            s.disconnect()


def test_typing_and_read_markers_in_a_big_room_arrive_coalesced(start_server: Any, monkeypatch: Any) -> None:
    """Above BIG_ROOM members (lowered to 2 here, so three people make a big room), typing and read
    markers arrive as per-room batches: every change still arrives, one update per member and batch."""
    from messenger.rooms import batches

    monkeypatch.setattr(batches, "BIG_ROOM", 2)
    server = start_server(RATE_LIMIT_REGISTER="100/minute")
    kim, lee, park = (LiveUser(server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, "큰 방", lee, park)["id"]
    a, b, c = kim.socket(), lee.socket(), park.socket()
    try:
        first = a.call("send_message", {"room_id": room, "content": "하나"})["message"]["id"]
        last = a.call("send_message", {"room_id": room, "content": "둘"})["message"]["id"]
        assert b.call("typing", {"room_id": room, "is_typing": True}) == {"ok": True}
        assert c.call("typing", {"room_id": room, "is_typing": True}) == {"ok": True}
        typing = a.wait_for("typing_batch", lambda d: {u["user_id"] for u in d["updates"]} >= {lee.id} and
                            d["room_id"] == room)
        assert {"user_id": lee.id, "display_name": "lee", "is_typing": True} in typing["updates"]
        a.wait_for("typing_batch", lambda d: park.id in [u["user_id"] for u in d["updates"]])
        assert b.call("mark_read", {"room_id": room, "message_id": first})["ok"]
        assert b.call("mark_read", {"room_id": room, "message_id": last})["ok"]
        a.wait_for("read_updated_batch", lambda d: {"user_id": lee.id, "message_id": last} in
                   [{"user_id": u["user_id"], "message_id": u["message_id"]} for u in d["updates"]])
        reads = [u for d in a.of("read_updated_batch") for u in d["updates"] if u["user_id"] == lee.id]
        # The moves chain up: from lee's marker before the first read to the last message, nothing lost.
        assert reads[0]["previous_message_id"] < first and reads[-1]["message_id"] == last
        assert all(x["message_id"] == y["previous_message_id"] for x, y in zip(reads, reads[1:], strict=False))
        assert a.of("typing") == [] and a.of("read_updated") == []  # only batches in a big room
        for batch in a.of("typing_batch") + a.of("read_updated_batch"):
            assert len({u["user_id"] for u in batch["updates"]}) == len(batch["updates"])
    finally:
        for s in (a, b, c):
            s.disconnect()
