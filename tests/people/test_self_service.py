"""Self-service: deleting one's own account (password-confirmed; messages stay, every room left with
admin succession, sessions and sockets end), removing one's avatar, and logging out everywhere."""

from __future__ import annotations

import time
from typing import Any

from tests.files.util import make_room, png, upload
from tests.helpers import LiveUser, TestUser


def test_delete_own_account_needs_the_password_and_keeps_messages(app: Any) -> None:
    boss, kim, lee = TestUser(app, "boss"), TestUser(app, "kim", "김민지"), TestUser(app, "lee", "이서준")
    room = make_room(kim, lee, name="기획")  # kim is the room admin
    sent = kim.post(f"/api/rooms/{room}/messages", json={"content": "마지막 인사"}).get_json()["message"]
    assert kim.delete("/api/me", json={"password": "wrong-password"}).get_json()["code"] == "invalid_credentials"
    assert kim.delete("/api/me", json={}).get_json()["code"] == "missing_field"
    assert kim.get("/api/me").status_code == 200  # nothing happened
    r = kim.delete("/api/me", json={"password": kim.password})
    assert r.status_code == 200 and r.get_json() == {"ok": True}
    assert kim.get("/api/me").status_code == 401
    login = app.test_client().post("/api/login", json={"username": "kim", "password": kim.password})
    assert login.status_code == 401
    # The message stays; its sender is the deleted account (the client words it "탈퇴한 사용자").
    history = lee.get(f"/api/rooms/{room}/messages").get_json()["messages"]
    kept = next(m for m in history if m["id"] == sent["id"])
    assert kept["content"] == "마지막 인사" and kept["sender"]["id"] == kim.id
    assert kept["sender"]["display_name"] != "김민지"
    # kim left the room, and lee, the longest-standing member left, became its admin.
    members = lee.get(f"/api/rooms/{room}").get_json()["room"]["members"]
    assert [(m["user"]["id"], m["role"]) for m in members] == [(lee.id, "admin")]
    deleted = [u for u in boss.get("/api/admin/users?include_deleted=1").get_json()["users"] if u["id"] == kim.id]
    assert deleted[0]["deleted"] is True
    actions = [e["action"] for e in boss.get("/api/admin/audit-logs").get_json()["audit_logs"]]
    assert "user_deleted" in actions


def test_the_last_server_admin_cannot_delete_themselves(app: Any) -> None:
    boss = TestUser(app, "boss")
    r = boss.delete("/api/me", json={"password": boss.password})
    assert r.status_code == 400 and r.get_json()["code"] == "last_admin"
    assert boss.get("/api/me").status_code == 200


def test_remove_avatar(app: Any) -> None:
    kim = TestUser(app, "kim")
    r = upload(kim, None, "me.png", png(200, 200), path="/api/me/avatar")
    url = r.get_json()["user"]["avatar_url"]
    assert url and kim.get(url).status_code == 200
    r = kim.delete("/api/me/avatar")
    assert r.status_code == 200 and r.get_json()["user"]["avatar_url"] is None
    assert kim.get(url).status_code == 404
    assert kim.delete("/api/me/avatar").get_json()["user"]["avatar_url"] is None  # nothing to remove: fine


def test_logout_all_ends_every_session_and_cuts_sockets_at_once(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    other = LiveUser(live_server.url, "kim", register=False)  # a second device
    sock = other.socket()
    mine = kim.socket()
    try:
        r = kim.post("/api/logout-all")
        assert r.status_code == 200 and r.json()["sessions_ended"] == 2
        assert r.headers["Set-Cookie"].startswith("im_session=;")  # the cookie is cleared too
        sock.wait_for("session_revoked")
        mine.wait_for("session_revoked")
        deadline = time.monotonic() + 5
        while (sock.client.connected or mine.client.connected) and time.monotonic() < deadline:
            time.sleep(0.05)  # the server cuts the sockets right after the event
        assert not sock.client.connected and not mine.client.connected
        assert kim.get("/api/me").status_code == 401
        assert other.get("/api/me").status_code == 401
    finally:
        for rec in (sock, mine):
            rec.disconnect()
