"""Pins through a real server and real Socket.IO clients: permissions, broadcast, room isolation, audit."""

from __future__ import annotations

from typing import Any

from messenger.audit import store as audit_store
from tests.extras.common import group, nothing_arrives, say
from tests.helpers import LiveUser


def _audit_actions(live_server: Any, room_id: int) -> list[tuple[str, int | None, str | None]]:
    with live_server.svc.db.read() as conn:
        rows, _ = audit_store.query(conn, "room", room_id=room_id)
    return [(r.action, r.actor_id, r.target_id) for r in reversed(rows) if r.action in ("pin", "unpin")]


def test_member_pins_and_room_sees_it_outsider_does_not(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, lee)
    other = group(kim, park, name="다른 방")
    msg = say(kim, room, "회의는 3시")
    foreign = say(park, other, "다른 방의 메시지")
    kim_sock, park_sock = kim.socket(), park.socket()
    try:
        r = lee.post(f"/api/rooms/{room}/pins", json={"message_id": msg["id"]})
        assert r.status_code == 201, r.text
        pins = r.json()["pins"]
        assert [p["message"]["id"] for p in pins] == [msg["id"]]
        assert pins[0]["message"]["content"] == "회의는 3시"
        assert pins[0]["pinned_by"]["id"] == lee.id and pins[0]["pinned_at"].endswith("Z")

        event = kim_sock.wait_for("pin_updated")
        assert event["room_id"] == room and [p["message"]["id"] for p in event["pins"]] == [msg["id"]]
        assert kim.get(f"/api/rooms/{room}/pins").json()["pins"][0]["pinned_by"]["id"] == lee.id

        # Pinning again changes nothing; a message of another room is never pinnable here.
        assert lee.post(f"/api/rooms/{room}/pins", json={"message_id": msg["id"]}).status_code == 200
        r = kim.post(f"/api/rooms/{room}/pins", json={"message_id": foreign["id"]})
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        assert kim.post(f"/api/rooms/{room}/pins", json={"message_id": 10**6}).status_code == 404
        assert len(kim.get(f"/api/rooms/{room}/pins").json()["pins"]) == 1

        # The outsider: 403 everywhere, and no event ever reached them.
        assert park.get(f"/api/rooms/{room}/pins").status_code == 403
        r = park.post(f"/api/rooms/{room}/pins", json={"message_id": msg["id"]})
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert park.delete(f"/api/rooms/{room}/pins/{msg['id']}").status_code == 403
        nothing_arrives(park_sock, "pin_updated")
    finally:
        kim_sock.disconnect()
        park_sock.disconnect()


def test_unpin_by_pinner_or_room_admin_only_and_audited(live_server: Any) -> None:
    kim, lee, choi = (LiveUser(live_server.url, n) for n in ("kim", "lee", "choi"))
    room = group(kim, lee, choi)  # kim created it: room admin
    first = say(kim, room, "공지 1")
    second = say(lee, room, "공지 2")
    choi_sock = choi.socket()
    try:
        assert lee.post(f"/api/rooms/{room}/pins", json={"message_id": first["id"]}).status_code == 201
        assert choi.post(f"/api/rooms/{room}/pins", json={"message_id": second["id"]}).status_code == 201
        listed = kim.get(f"/api/rooms/{room}/pins").json()["pins"]
        assert [p["message"]["id"] for p in listed] == [second["id"], first["id"]]  # newest pin first

        r = choi.delete(f"/api/rooms/{room}/pins/{first['id']}")  # neither pinner nor admin
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = lee.delete(f"/api/rooms/{room}/pins/{first['id']}")  # the pinner
        assert r.status_code == 200 and [p["message"]["id"] for p in r.json()["pins"]] == [second["id"]]
        choi_sock.wait_for("pin_updated", lambda d: [p["message"]["id"] for p in d["pins"]] == [second["id"]])

        r = kim.delete(f"/api/rooms/{room}/pins/{second['id']}")  # room admin unpins choi's pin
        assert r.status_code == 200 and r.json()["pins"] == []
        choi_sock.wait_for("pin_updated", lambda d: d["pins"] == [] and d["room_id"] == room)
        r = kim.delete(f"/api/rooms/{room}/pins/{second['id']}")
        assert r.status_code == 404

        assert _audit_actions(live_server, room) == [
            ("pin", lee.id, str(first["id"])),
            ("pin", choi.id, str(second["id"])),
            ("unpin", lee.id, str(first["id"])),
            ("unpin", kim.id, str(second["id"])),
        ]
    finally:
        choi_sock.disconnect()


def test_pin_input_is_validated(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    room = group(kim, LiveUser(live_server.url, "lee"))
    for body, code in (({}, "missing_field"), ({"message_id": "7"}, "invalid_field"),
                       ({"message_id": 0}, "invalid_field"), ({"message_id": 1, "x": 1}, "unknown_field")):
        r = kim.post(f"/api/rooms/{room}/pins", json=body)
        assert r.status_code == 400 and r.json()["code"] == code, (body, r.text)
    assert kim.get("/api/rooms/99999999999999/pins").status_code == 404


def test_pinned_poll_broadcast_carries_no_ones_votes(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    r = kim.post(f"/api/rooms/{room}/polls", json={"question": "비밀 투표", "options": ["a", "b"], "anonymous": True})
    poll, message = r.json()["poll"], r.json()["message"]
    assert kim.post(f"/api/polls/{poll['id']}/vote", json={"option_id": poll["options"][1]["id"]}).ok
    lee_sock = lee.socket()
    try:
        mine = kim.post(f"/api/rooms/{room}/pins", json={"message_id": message["id"]}).json()["pins"][0]
        assert mine["message"]["poll"]["my_votes"] == [poll["options"][1]["id"]]
        seen = lee_sock.wait_for("pin_updated")["pins"][0]["message"]["poll"]
        assert seen["my_votes"] is None and [o["votes"] for o in seen["options"]] == [0, 1]
        assert lee.get(f"/api/rooms/{room}/pins").json()["pins"][0]["message"]["poll"]["my_votes"] == []
    finally:
        lee_sock.disconnect()


def test_deleting_a_pinned_message_unpins_it_for_everyone(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    keep, gone = say(kim, room, "남는 공지"), say(kim, room, "지울 공지")
    for msg in (keep, gone):
        assert lee.post(f"/api/rooms/{room}/pins", json={"message_id": msg["id"]}).status_code == 201
    lee_sock = lee.socket()
    try:
        assert kim.delete(f"/api/messages/{gone['id']}").status_code == 200
        event = lee_sock.wait_for("pin_updated")  # the pins panel updates at once, without a reload
        assert event["room_id"] == room and [p["message"]["id"] for p in event["pins"]] == [keep["id"]]
        assert [p["message"]["id"] for p in lee.get(f"/api/rooms/{room}/pins").json()["pins"]] == [keep["id"]]
    finally:
        lee_sock.disconnect()
