"""Forwarding: authorization at both ends (all or nothing), the forwarded_from marker, the comment, a
file shared without re-upload and readable only where it was forwarded, copies of copies, live events."""

from __future__ import annotations

from typing import Any

from tests.files.util import make_room, png, upload
from tests.helpers import LiveUser, TestUser


def _setup(app: Any) -> tuple[TestUser, TestUser, TestUser, TestUser, int, int, int]:
    kim, lee, park, eve = (TestUser(app, n) for n in ("kim", "lee", "park", "eve"))
    room_a = make_room(lee, kim, name="영업팀")     # kim and lee
    room_b = make_room(kim, park, name="개발팀")    # kim and park
    room_c = make_room(eve, lee, name="다른 방")    # eve and lee, not kim
    return kim, lee, park, eve, room_a, room_b, room_c


def _send(user: TestUser, room: int, content: str) -> dict[str, Any]:
    r = user.post(f"/api/rooms/{room}/messages", json={"content": content})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["message"]


def test_forward_text_with_comment_and_marker(app: Any) -> None:
    kim, lee, park, _eve, room_a, room_b, _c = _setup(app)
    original = _send(lee, room_a, "견적 금액은 1,200만원입니다")
    r = kim.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_b], "comment": "참고하세요"})
    assert r.status_code == 201, r.get_json()
    copy = r.get_json()["messages"][0]
    assert copy["room_id"] == room_b and copy["content"] == original["content"]
    assert copy["sender"]["id"] == kim.id and copy["type"] == "text"
    assert copy["forwarded_from"] == {"message_id": original["id"], "room_id": room_a,
                                      "sender": {"id": lee.id, "display_name": "lee"},
                                      "created_at": original["created_at"]}
    history = park.get(f"/api/rooms/{room_b}/messages").get_json()["messages"]
    assert [m["content"] for m in history[:2]] == ["견적 금액은 1,200만원입니다", "참고하세요"]
    assert "forwarded_from" not in history[1] and history[0]["forwarded_from"]["message_id"] == original["id"]
    # A copy of the copy points at the first original.
    again = park.post(f"/api/messages/{copy['id']}/forward", json={"room_ids": [room_b]}).get_json()["messages"][0]
    assert again["forwarded_from"]["message_id"] == original["id"]
    # Searchable in the target room.
    found = park.get("/api/search", query_string={"q": "1,200만원"}).get_json()["results"]
    assert {x["message"]["room_id"] for x in found} == {room_b}


def test_authorization_at_both_ends_all_or_nothing(app: Any) -> None:
    kim, lee, park, eve, room_a, room_b, room_c = _setup(app)
    original = _send(lee, room_a, "비밀 자료")
    before = len(park.get(f"/api/rooms/{room_b}/messages").get_json()["messages"])
    # Into a room the forwarder is not in: refused, and the good target gets nothing either.
    r = kim.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_b, room_c]})
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    assert len(park.get(f"/api/rooms/{room_b}/messages").get_json()["messages"]) == before
    # Not into the announcement room (only server admins post there; lee is not one, kim the first is).
    announcement = next(r["id"] for r in lee.get("/api/rooms").get_json()["rooms"] if r.get("kind") == "announcement")
    in_c = len(eve.get(f"/api/rooms/{room_c}/messages").get_json()["messages"])
    r = lee.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_c, announcement]})
    assert r.status_code == 403 and r.get_json()["code"] == "announcement_read_only"
    assert len(eve.get(f"/api/rooms/{room_c}/messages").get_json()["messages"]) == in_c
    # From a room the forwarder is not in.
    assert park.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_b]}).status_code == 403
    assert eve.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_c]}).status_code == 403
    assert kim.post("/api/messages/999999/forward", json={"room_ids": [room_b]}).status_code == 404
    assert kim.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [999999]}).status_code == 404
    for bad in ({"room_ids": []}, {"room_ids": list(range(1, 30))}, {"room_ids": [0]}, {"room_ids": "1"}, {}):
        assert kim.post(f"/api/messages/{original['id']}/forward", json=bad).status_code == 400, bad
    # System messages and deleted messages are not forwardable.
    system = next(m for m in kim.get(f"/api/rooms/{room_a}/messages").get_json()["messages"] if m["type"] == "system")
    assert kim.post(f"/api/messages/{system['id']}/forward", json={"room_ids": [room_b]}).get_json()["code"] == "not_forwardable"
    lee.delete(f"/api/messages/{original['id']}")
    assert kim.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_b]}).get_json()["code"] == "message_deleted"


def test_forwarded_file_is_shared_not_copied_and_readable_only_there(app: Any) -> None:
    kim, lee, park, eve, room_a, room_b, _room_c = _setup(app)
    token = upload(lee, room_a, "도면.png", png(300, 200)).get_json()["upload_token"]
    original = lee.post(f"/api/rooms/{room_a}/messages", json={"content": "", "type": "file",
                                                                "upload_token": token}).get_json()["message"]
    f = original["file"]
    assert park.get(f["url"]).status_code == 403  # not forwarded yet
    copy = kim.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_b]}).get_json()["messages"][0]
    assert copy["type"] == "file" and copy["file"] == f  # the same file, not a new upload
    assert park.get(f["url"]).status_code == 200 and park.get(f["thumbnail_url"]).status_code == 200
    assert eve.get(f["url"]).status_code == 403  # a third room: nothing
    assert [x["name"] for x in park.get(f"/api/rooms/{room_b}/files").get_json()["files"]] == ["도면.png"]
    # Deleting the original message leaves the forwarded copy's file in place.
    assert lee.delete(f"/api/messages/{original['id']}").status_code == 200
    assert park.get(f["url"]).status_code == 200
    assert lee.get(f["url"]).status_code == 403  # lee is not in room B and the original is gone
    # Deleting the last carrier deletes the file.
    assert kim.delete(f"/api/messages/{copy['id']}").status_code == 200
    assert park.get(f["url"]).status_code == 404


def test_forward_reaches_the_target_room_live(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room_a, room_b = make_room(lee, kim), make_room(kim, park)
    original = lee.post(f"/api/rooms/{room_a}/messages", json={"content": "회의 3시"}).json()["message"]
    sock = park.socket()
    try:
        r = kim.post(f"/api/messages/{original['id']}/forward", json={"room_ids": [room_b]})
        assert r.status_code == 201
        got = sock.wait_for("new_message", lambda d: d["message"].get("forwarded_from") is not None)
        assert got["message"]["content"] == "회의 3시" and got["message"]["room_id"] == room_b
    finally:
        sock.disconnect()
