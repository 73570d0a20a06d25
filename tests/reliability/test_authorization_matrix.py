"""Authorization matrix: every room-scoped HTTP route (found in the app's URL map, so a new route is
covered automatically) and every room-scoped socket event, tried by a non-member, a kicked member and
a deactivated user: always refused, and no event of the room ever reaches them."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import socketio

from tests.helpers import LiveUser, SocketRecorder

ROOM_SCOPED = re.compile(r"<(?:int:)?(room_id|message_id|poll_id|file_id|job_id)>")


def _bodies(ids: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """A plausible valid body per route, so that a refusal cannot hide behind input validation."""
    return {
        ("POST", "/api/rooms/<int:room_id>/messages"): {"content": "침입", "client_msg_id": "intruder-1"},
        ("POST", "/api/rooms/<int:room_id>/read"): {"message_id": ids["message_id"]},
        ("POST", "/api/rooms/<int:room_id>/pins"): {"message_id": ids["message_id"]},
        ("POST", "/api/rooms/<int:room_id>/members"): {"user_ids": [ids["outsider_id"]]},
        ("PATCH", "/api/rooms/<int:room_id>/members/<int:user_id>"): {"role": "admin"},
        ("PATCH", "/api/rooms/<int:room_id>"): {"name": "hijacked"},
        ("PATCH", "/api/rooms/<int:room_id>/settings"): {"muted": True},
        ("POST", "/api/rooms/<int:room_id>/polls"): {"question": "q?", "options": ["a", "b"]},
        ("PATCH", "/api/messages/<int:message_id>"): {"content": "edited by intruder"},
        ("POST", "/api/messages/<int:message_id>/reactions"): {"emoji": "👍"},
        ("POST", "/api/polls/<int:poll_id>/vote"): {"option_id": ids["option_id"]},
        ("POST", "/api/messages/<int:message_id>/forward"): {"room_ids": [ids["room_id"]]},
        ("POST", "/api/rooms/<int:room_id>/notices"): {"content": "가짜 공지", "require_ack": True},
    }


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    base = live_server.url
    owner = LiveUser(base, "owner", "방장")  # first account: server admin
    member = LiveUser(base, "member", "멤버")
    outsider = LiveUser(base, "outsider", "외부인")
    kicked = LiveUser(base, "kicked", "강퇴됨")
    disabled = LiveUser(base, "disabled", "비활성")
    r = owner.post("/api/rooms", json={"type": "group", "name": "비밀방",
                                       "member_ids": [member.id, kicked.id, disabled.id]})
    assert r.status_code == 201, r.text
    room_id = r.json()["room"]["id"]
    msg = member.post(f"/api/rooms/{room_id}/messages", json={"content": "비밀 메시지", "client_msg_id": "m-1"})
    assert msg.status_code in (200, 201), msg.text
    message_id = msg.json()["message"]["id"]
    assert owner.post(f"/api/rooms/{room_id}/pins", json={"message_id": message_id}).status_code in (200, 201)
    poll = owner.post(f"/api/rooms/{room_id}/polls", json={"question": "점심?", "options": ["국밥", "냉면"]})
    assert poll.status_code == 201, poll.text
    up = member.post("/api/upload", files={"file": ("secret.txt", io.BytesIO(b"top secret"), "text/plain")},
                     data={"room_id": str(room_id)}, json=None)
    assert up.status_code == 200, up.text
    sent = member.socket()
    ack = sent.call("send_message", {"room_id": room_id, "type": "file", "upload_token": up.json()["upload_token"],
                                     "content": "", "client_msg_id": "f-1"})
    sent.disconnect()
    assert ack["ok"], ack
    file_id = ack["message"]["file"]["id"]
    kicked_sock = kicked.socket()
    disabled_sock = disabled.socket()
    assert owner.delete(f"/api/rooms/{room_id}/members/{kicked.id}").status_code == 200
    assert owner.patch(f"/api/admin/users/{disabled.id}", json={"is_active": False}).status_code == 200
    return {
        "owner": owner, "member": member, "outsider": outsider, "kicked": kicked, "disabled": disabled,
        "kicked_sock": kicked_sock, "disabled_sock": disabled_sock,
        "ids": {"room_id": room_id, "message_id": message_id, "poll_id": poll.json()["poll"]["id"],
                "option_id": poll.json()["poll"]["options"][0]["id"], "file_id": file_id, "user_id": member.id,
                "outsider_id": outsider.id, "name": "secret.txt", "job_id": "nope"},
    }


def _routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if ROOM_SCOPED.search(rule.rule):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((method, rule.rule))
    return out


def _fill(rule: str, ids: dict[str, Any]) -> str:
    return re.sub(r"<(?:int:|path:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def test_http_matrix(world: dict[str, Any], live_server: Any) -> None:
    ids = world["ids"]
    bodies = _bodies(ids)
    routes = _routes(live_server.app)
    assert len(routes) >= 15, routes
    failures = []
    for who in ("outsider", "kicked", "disabled"):
        user = world[who]
        for method, rule in routes:
            path = _fill(rule, ids)
            r = user.http.request(method, user.base + path, json=bodies.get((method, rule)), timeout=10)
            allowed = {401, 403, 404} if who != "disabled" else {401}
            if r.status_code not in allowed:
                failures.append((who, method, rule, r.status_code, r.text[:120]))
            elif r.headers.get("Content-Type", "").startswith("application/json"):
                assert {"error", "code"} <= set(r.json()) <= {"error", "code", "params"}
    assert not failures, failures
    # Nothing was changed by the attempts.
    room = world["owner"].get(f"/api/rooms/{ids['room_id']}").json()["room"]
    assert room["name"] == "비밀방"
    assert ids["outsider_id"] not in [m["user"]["id"] for m in room["members"]]
    msgs = world["member"].get(f"/api/rooms/{ids['room_id']}/messages").json()["messages"]
    assert all(m["content"] != "침입" for m in msgs)


SOCKET_EVENTS = ["send_message", "edit_message", "delete_message", "mark_read", "toggle_reaction", "typing",
                 "join_room"]


def test_socket_matrix_and_no_leaks(world: dict[str, Any], live_server: Any) -> None:
    ids = world["ids"]
    # The deactivated user's socket was told and disconnected; its cookie cannot reconnect.
    world["disabled_sock"].wait_for("session_revoked")
    rec = SocketRecorder()
    with pytest.raises(socketio.exceptions.ConnectionError):
        rec.client.connect(live_server.url, headers={"Cookie": world["disabled"].cookie_header()},
                           transports=["websocket"], wait_timeout=5)
    outsider_sock = world["outsider"].socket()
    kicked_sock = world["kicked_sock"]
    payload = {"room_id": ids["room_id"], "message_id": ids["message_id"], "content": "침입",
               "client_msg_id": "intr-2", "emoji": "👍", "is_typing": True}
    for sock, who in ((outsider_sock, "outsider"), (kicked_sock, "kicked")):
        for event in SOCKET_EVENTS:
            fields = {
                "send_message": ("room_id", "content", "client_msg_id"),
                "edit_message": ("message_id", "content"),
                "delete_message": ("message_id",),
                "mark_read": ("room_id", "message_id"),
                "toggle_reaction": ("message_id", "emoji"),
                "typing": ("room_id", "is_typing"),
                "join_room": ("room_id",),
            }[event]
            ack = sock.call(event, {k: payload[k] for k in fields})
            assert ack is None or ack.get("ok") is False, (who, event, ack)
            if ack is not None:
                assert ack["code"] in ("forbidden", "not_found"), (who, event, ack)
    # Members keep chatting; nothing of the room reaches the outsider or the kicked member.
    member_sock = world["member"].socket()
    member_sock.call("typing", {"room_id": ids["room_id"], "is_typing": True})
    assert member_sock.call("send_message", {"room_id": ids["room_id"], "content": "아무도 못 봄",
                                             "client_msg_id": "m-2"})["ok"]
    world["owner"].post(f"/api/messages/{ids['message_id']}/reactions", json={"emoji": "👍"})
    world["owner"].patch(f"/api/rooms/{ids['room_id']}", json={"name": "새 이름"})
    member_sock.client.sleep(1.0)
    room_events = {"new_message", "message_edited", "message_deleted", "typing", "read_updated",
                   "reaction_updated", "pin_updated", "poll_updated", "room_updated"}
    for sock in (outsider_sock, kicked_sock):
        leaked = [(e, d) for e, d in sock.events if e in room_events]
        assert not leaked, leaked
    for s in (outsider_sock, kicked_sock, member_sock):
        s.disconnect()
