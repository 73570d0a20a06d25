"""Events after commit: what a transaction queues runs once it has committed, never after a rollback."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from messenger.storage import settings_store
from messenger.storage.db import on_commit


def test_queued_callbacks_run_after_the_commit_in_order_and_see_the_stored_data(svc: Any) -> None:
    seen: list[tuple[str, str | None]] = []

    def look(tag: str) -> None:
        with svc.db.read() as conn:  # another connection: only committed data is visible there
            seen.append((tag, settings_store.get(conn, "probe")))

    with svc.db.begin() as conn:
        settings_store.put(conn, "probe", "stored")
        on_commit(conn, lambda: look("first"))
        on_commit(conn, lambda: look("second"))
        assert seen == []  # nothing runs inside the transaction
    assert seen == [("first", "stored"), ("second", "stored")]


def test_a_rolled_back_transaction_runs_nothing(svc: Any) -> None:
    ran: list[str] = []
    with pytest.raises(ValueError), svc.db.begin() as conn:
        settings_store.put(conn, "probe", "never")
        on_commit(conn, lambda: ran.append("x"))
        raise ValueError("half-way")
    assert ran == []
    with svc.db.read() as conn:
        assert settings_store.get(conn, "probe") is None
    with svc.db.begin() as conn:  # the next transaction on a pooled connection starts clean
        on_commit(conn, lambda: ran.append("next"))
    assert ran == ["next"]


def test_a_callback_may_write_in_a_transaction_of_its_own(svc: Any) -> None:
    """The first transaction's connection (and SQLite's write lock) is released before callbacks run."""

    def follow_up() -> None:
        with svc.db.begin() as conn:
            settings_store.put(conn, "probe", "follow-up")

    with svc.db.begin() as conn:
        settings_store.put(conn, "probe", "first")
        on_commit(conn, follow_up)
    with svc.db.read() as conn:
        assert settings_store.get(conn, "probe") == "follow-up"


def test_a_failing_callback_is_logged_and_the_others_still_run(svc: Any, caplog: Any) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("emit failed")

    with caplog.at_level(logging.ERROR, logger="messenger.storage"), svc.db.begin() as conn:
        settings_store.put(conn, "probe", "kept")
        on_commit(conn, broken)
        on_commit(conn, lambda: ran.append("after"))
    assert ran == ["after"]
    assert "after-commit callback failed" in caplog.text
    with svc.db.read() as conn:
        assert settings_store.get(conn, "probe") == "kept"


def test_queueing_outside_a_write_transaction_is_an_error(svc: Any) -> None:
    with svc.db.read() as conn, pytest.raises(RuntimeError):
        on_commit(conn, lambda: None)


# ---- the services that used to emit by hand after their transaction ------------------------------------


def _fail_after_queueing(monkeypatch: Any, svc: Any) -> None:
    """The next ``queue_user_changed`` queues its hooks, then fails: the transaction rolls back."""
    real = svc.realtime.queue_user_changed

    def queue_then_fail(conn: Any, user_id: int) -> None:
        real(conn, user_id)
        raise RuntimeError("injected failure at the end of the transaction")

    monkeypatch.setattr(svc.realtime, "queue_user_changed", queue_then_fail)


def _quiet(sock: Any) -> None:
    """A round trip on ``sock``: every event the server sent it before is in by then."""
    assert sock.call("set_presence", {"presence": "online"})["ok"] is True


def test_admin_deactivation_revokes_and_hands_rooms_on_after_its_one_transaction(live_server: Any,
                                                                                monkeypatch: Any) -> None:
    from messenger.admin import service as admin
    from tests.helpers import LiveUser

    svc = live_server.svc
    boss, kim = LiveUser(live_server.url, "boss"), LiveUser(live_server.url, "kim")
    room = kim.post("/api/rooms", json={"type": "group", "name": "기획팀", "member_ids": [boss.id]}).json()["room"]
    kim_sock, boss_sock = kim.socket(), boss.socket()
    try:
        _fail_after_queueing(monkeypatch, svc)
        with pytest.raises(RuntimeError):
            live_server.call(admin.update_user, svc, boss.id, kim.id, {"is_active": False})
        monkeypatch.undo()
        # Rolled back: the revocation queued in it never ran, and no hook handed kim's room on.
        _quiet(kim_sock)
        _quiet(boss_sock)
        assert kim_sock.of("session_revoked") == [] and kim_sock.client.connected
        assert kim.get("/api/me").status_code == 200
        assert not [m for m in boss_sock.of("new_message") if m["message"]["room_id"] == room["id"]]

        live_server.call(admin.update_user, svc, boss.id, kim.id, {"is_active": False})
        kim_sock.wait_for("session_revoked")
        assert kim.get("/api/me").json()["code"] == "session_revoked"
        handed_on = boss_sock.wait_for("new_message", lambda m: m["message"]["room_id"] == room["id"])
        assert handed_on["message"]["type"] == "system"
    finally:
        kim_sock.disconnect()
        boss_sock.disconnect()


def test_admin_password_reset_and_delete_revoke_in_their_transaction(live_server: Any, monkeypatch: Any) -> None:
    from messenger.admin import service as admin
    from tests.helpers import LiveUser

    svc = live_server.svc
    boss, kim = LiveUser(live_server.url, "boss"), LiveUser(live_server.url, "kim")
    sock = kim.socket()
    try:
        _fail_after_queueing(monkeypatch, svc)
        with pytest.raises(RuntimeError):
            live_server.call(admin.delete_user, svc, boss.id, kim.id)
        monkeypatch.undo()
        _quiet(sock)
        assert sock.of("session_revoked") == []
        assert kim.get("/api/me").status_code == 200  # the deletion and its revocation rolled back

        live_server.call(admin.reset_password, svc, boss.id, kim.id)
        sock.wait_for("session_revoked")
        assert kim.get("/api/me").json()["code"] == "session_revoked"
    finally:
        sock.disconnect()
    lee = LiveUser(live_server.url, "lee")
    sock = lee.socket()
    try:
        live_server.call(admin.delete_user, svc, boss.id, lee.id)
        sock.wait_for("session_revoked")
        assert lee.get("/api/me").status_code == 401
    finally:
        sock.disconnect()


def test_a_removed_avatar_leaves_the_disk_after_the_commit_and_not_after_a_rollback(live_server: Any,
                                                                                   monkeypatch: Any) -> None:
    from tests.helpers import LiveUser

    svc = live_server.svc
    kim = LiveUser(live_server.url, "kim")
    assert kim.post("/api/me/avatar", files={"file": ("a.png", _png(), "image/png")}).status_code == 200

    def stored() -> list[str]:
        return sorted(p.name for p in (svc.settings.data_dir / "uploads").rglob("*") if p.is_file())

    avatar_files = stored()
    assert avatar_files
    _fail_after_queueing(monkeypatch, svc)
    assert kim.delete("/api/me/avatar").status_code == 500
    monkeypatch.undo()
    assert kim.get("/api/me").json()["user"]["avatar_url"]  # the avatar stayed, its bytes too
    assert stored() == avatar_files
    assert kim.delete("/api/me/avatar").status_code == 200
    assert kim.get("/api/me").json()["user"]["avatar_url"] is None
    assert stored() == []


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()
