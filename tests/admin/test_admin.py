"""Server administration through the real app: users, roles, password reset, deletion, settings, audit."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from tests.helpers import LiveUser, TestUser


def _pair(app: Any) -> tuple[TestUser, TestUser]:
    boss = TestUser(app, "boss", "대표")
    kim = TestUser(app, "kim", "김철수")
    return boss, kim


def test_user_list_is_admin_only_and_shows_last_seen(app: Any) -> None:
    boss, kim = _pair(app)
    assert kim.get("/api/admin/users").status_code == 403
    assert app.test_client().get("/api/admin/users").status_code == 401
    r = boss.get("/api/admin/users")
    assert r.status_code == 200
    users = {u["username"]: u for u in r.get_json()["users"]}
    assert users["boss"]["is_admin"] is True and users["kim"]["is_admin"] is False
    assert users["kim"]["is_active"] is True
    assert users["kim"]["last_seen"].endswith("Z") and users["kim"]["created_at"].endswith("Z")
    assert users["kim"]["display_name"] == "김철수"


def test_deactivation_revokes_sessions_and_blocks_login(app: Any) -> None:
    boss, kim = _pair(app)
    r = boss.patch(f"/api/admin/users/{kim.id}", json={"is_active": False})
    assert r.status_code == 200 and r.get_json()["user"]["is_active"] is False
    r = kim.get("/api/me")
    assert r.status_code == 401 and r.get_json()["code"] == "session_revoked"
    r = app.test_client().post("/api/login", json={"username": "kim", "password": kim.password})
    assert r.status_code == 403 and r.get_json()["code"] == "account_disabled"
    assert boss.patch(f"/api/admin/users/{kim.id}", json={"is_active": True}).status_code == 200
    TestUser(app, "kim", register=False)  # can log in again


def test_deactivation_disconnects_live_sockets(live_server: Any) -> None:
    boss = LiveUser(live_server.url, "boss")
    kim = LiveUser(live_server.url, "kim")
    sock = kim.socket()
    try:
        r = boss.patch(f"/api/admin/users/{kim.id}", json={"is_active": False})
        assert r.status_code == 200
        sock.wait_for("session_revoked", timeout=5)
        for _ in range(50):
            if not sock.client.connected:
                break
            time.sleep(0.05)
        assert not sock.client.connected
    finally:
        sock.disconnect()


def test_last_seen_follows_the_last_connection(live_server: Any) -> None:
    boss = LiveUser(live_server.url, "boss")
    kim = LiveUser(live_server.url, "kim")

    def last_seen() -> str:
        return next(u["last_seen"] for u in boss.get("/api/admin/users").json()["users"] if u["id"] == kim.id)

    at_login = last_seen()
    time.sleep(1.1)
    sock = kim.socket()
    assert next(u for u in boss.get("/api/admin/users").json()["users"] if u["id"] == kim.id)["presence"] == "online"
    sock.disconnect()
    deadline = time.monotonic() + 5
    while last_seen() == at_login:
        assert time.monotonic() < deadline, "last_seen did not move on disconnect"
        time.sleep(0.05)
    assert last_seen() > at_login


def test_shutdown_writes_every_last_seen_in_one_statement(live_server: Any) -> None:
    """A server closing its sockets on shutdown records "last seen" for each user (restart, update), as one
    statement for all of them instead of one per socket."""
    from sqlalchemy import text

    users = [LiveUser(live_server.url, f"user{i}") for i in range(4)]
    socks = [u.socket() for u in users]
    with live_server.svc.db.read() as conn:
        before = dict(conn.execute(text("SELECT id, last_seen_at FROM users")).all())
    with live_server.svc.db.count_statements() as statements:
        live_server.runner.stop()
    with live_server.svc.db.read() as conn:  # the engine reconnects after the server's dispose
        after = dict(conn.execute(text("SELECT id, last_seen_at FROM users")).all())
    for u in users:
        assert after[u.id] is not None and (before[u.id] is None or after[u.id] > before[u.id]), u.username
    writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE USERS SET LAST_SEEN_AT")]
    assert len(writes) == 1, writes
    for sock in socks:
        sock.disconnect()


def test_last_admin_is_protected(app: Any) -> None:
    boss, kim = _pair(app)
    for body in ({"is_admin": False}, {"is_active": False}):
        r = boss.patch(f"/api/admin/users/{boss.id}", json=body)
        assert r.status_code == 400 and r.get_json()["code"] == "last_admin"
    r = boss.delete(f"/api/admin/users/{boss.id}")
    assert r.status_code == 400 and r.get_json()["code"] == "last_admin"
    # With a second admin, the first may step down; the second is then the last one.
    assert boss.patch(f"/api/admin/users/{kim.id}", json={"is_admin": True}).get_json()["user"]["is_admin"] is True
    assert boss.patch(f"/api/admin/users/{boss.id}", json={"is_admin": False}).status_code == 200
    r = kim.patch(f"/api/admin/users/{kim.id}", json={"is_admin": False})
    assert r.get_json()["code"] == "last_admin"
    assert boss.get("/api/admin/users").status_code == 403  # boss is no longer an admin


def test_reset_password_gives_a_temporary_password_once(app: Any) -> None:
    boss, kim = _pair(app)
    r = boss.post(f"/api/admin/users/{kim.id}/reset-password")
    assert r.status_code == 200
    temporary = r.get_json()["temporary_password"]
    assert len(temporary) >= 10 and r.get_json()["user"]["must_change_password"] is True
    assert kim.get("/api/me").status_code == 401  # old sessions end
    c = app.test_client()
    assert c.post("/api/login", json={"username": "kim", "password": kim.password}).status_code == 401
    r = c.post("/api/login", json={"username": "kim", "password": temporary})
    assert r.status_code == 200 and r.get_json()["user"]["must_change_password"] is True
    csrf = r.get_json()["csrf_token"]
    r = c.post("/api/me/password", json={"current_password": temporary, "new_password": "new-secret-99"},
               headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert c.get("/api/me").get_json()["user"]["must_change_password"] is False
    assert boss.post(f"/api/admin/users/{boss.id}/reset-password").status_code == 400
    assert boss.post("/api/admin/users/9999/reset-password").status_code == 404


def test_delete_user_anonymises_and_ends_sessions(app: Any) -> None:
    boss, kim = _pair(app)
    r = boss.delete(f"/api/admin/users/{kim.id}")
    assert r.status_code == 200
    assert kim.get("/api/me").status_code == 401
    assert app.test_client().post("/api/login", json={"username": "kim", "password": kim.password}).status_code == 401
    users = boss.get("/api/admin/users").get_json()["users"]
    assert [u["username"] for u in users] == ["boss"]
    deleted = [u for u in boss.get("/api/admin/users?include_deleted=1").get_json()["users"] if u["deleted"]]
    assert deleted[0]["display_name"] == "" and deleted[0]["username"] == f"deleted:{kim.id}"
    assert boss.delete(f"/api/admin/users/{kim.id}").status_code == 404
    # The name is free again.
    TestUser(app, "kim")


def test_deleted_user_keeps_messages_and_rooms_keep_an_admin(app: Any) -> None:
    boss, kim = _pair(app)
    lee = TestUser(app, "lee", "이영희")
    r = kim.post("/api/rooms", json={"type": "group", "name": "기획팀", "member_ids": [lee.id]})
    assert r.status_code == 201
    room_id = r.get_json()["room"]["id"]
    sent = kim.post(f"/api/rooms/{room_id}/messages", json={"content": "퇴사 전 마지막 메모"})
    assert sent.status_code == 201
    assert boss.delete(f"/api/admin/users/{kim.id}").status_code == 200
    history = lee.get(f"/api/rooms/{room_id}/messages").get_json()["messages"]
    memo = next(m for m in history if m["content"] == "퇴사 전 마지막 메모")
    assert memo["sender"]["id"] == kim.id and memo["sender"]["display_name"] == ""
    left = [m["event"] for m in history if m["type"] == "system" and m["event"]["event"] == "member_left"]
    assert left == [{"event": "member_left", "user": {"id": kim.id, "name": ""}}]  # no stored word for "deleted"
    members = lee.get(f"/api/rooms/{room_id}").get_json()["room"]["members"]
    roles = {m["user"]["id"]: m["role"] for m in members}
    assert roles.get(lee.id) == "admin"  # the room is never left without an admin


def test_registration_setting(app: Any) -> None:
    boss, kim = _pair(app)
    assert kim.patch("/api/admin/settings", json={"registration": "closed"}).status_code == 403
    r = boss.patch("/api/admin/settings", json={"registration": "closed"})
    assert r.status_code == 200 and r.get_json()["settings"]["registration"] == "closed"
    assert app.test_client().get("/api/config").get_json()["registration"] == "closed"
    r = app.test_client().post("/api/register", json={"username": "lee", "password": "long-enough-1"})
    assert r.status_code == 403 and r.get_json()["code"] == "registration_closed"
    assert boss.patch("/api/admin/settings", json={"registration": "maybe"}).status_code == 400
    assert boss.get("/api/admin/settings").get_json()["settings"] == {"registration": "closed"}


def test_audit_log_json_filters_paging_and_csv(app: Any) -> None:
    boss, kim = _pair(app)
    bad = app.test_client().post("/api/login", json={"username": "kim", "password": "wrong-password"},
                                 environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert bad.status_code == 401
    boss.patch(f"/api/admin/users/{kim.id}", json={"is_active": False})
    boss.patch(f"/api/admin/users/{kim.id}", json={"is_active": True})
    boss.patch("/api/admin/settings", json={"registration": "closed"})
    boss.post(f"/api/admin/users/{kim.id}/reset-password")

    r = boss.get("/api/admin/audit-logs")
    body = r.get_json()
    actions = [e["action"] for e in body["audit_logs"]]
    assert actions[:5] == ["password_reset", "settings_changed", "user_reactivated", "user_deactivated", "login_failed"]
    assert {"login", "user_created"} <= set(actions)
    failed = body["audit_logs"][4]
    assert failed["client_ip"] == "10.1.2.3" and failed["details"]["username"] == "kim"
    deact = body["audit_logs"][3]
    assert deact["actor"]["username"] == "boss" and deact["target_user"]["username"] == "kim"
    assert body["total"] == len(actions)

    only = boss.get("/api/admin/audit-logs?action=user_deactivated").get_json()["audit_logs"]
    assert [e["action"] for e in only] == ["user_deactivated"]
    mine = boss.get(f"/api/admin/audit-logs?actor_id={kim.id}").get_json()["audit_logs"]
    assert mine and all(e["actor"]["id"] == kim.id for e in mine)
    page1 = boss.get("/api/admin/audit-logs?limit=3").get_json()
    assert len(page1["audit_logs"]) == 3 and page1["has_more"] is True
    page2 = boss.get(f"/api/admin/audit-logs?limit=3&before_id={page1['next_before_id']}").get_json()
    assert page2["audit_logs"][0]["id"] < page1["audit_logs"][-1]["id"]
    assert boss.get("/api/admin/audit-logs?date_from=2999-01-01").get_json()["audit_logs"] == []
    today = body["audit_logs"][0]["created_at"][:10]
    assert len(boss.get(f"/api/admin/audit-logs?date_to={today}").get_json()["audit_logs"]) == len(actions)
    assert boss.get("/api/admin/audit-logs?date_from=yesterday").status_code == 400
    assert boss.get("/api/admin/audit-logs?format=xml").status_code == 400
    assert kim.get("/api/admin/audit-logs").status_code in (401, 403)

    r = boss.get("/api/admin/audit-logs?format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Korean text correctly
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["action"] == "password_reset" and rows[0]["target_username"] == "kim"
    created = [row for row in rows if row["action"] == "user_created" and row["target_username"] == "kim"]
    assert "kim" in created[0]["details"]
