"""Backup -> verify -> restore with a real server running, under load, and with an older schema."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from messenger.audit import store as audit_store
from messenger.ops.backup import create_backup, upgrade_to
from messenger.ops.common import MANIFEST, list_backups, read_manifest
from messenger.ops.restore import RestoreRefused, restore_backup
from messenger.ops.verify import verify_backup
from messenger.storage import Database
from messenger.storage.migrate import head_revision
from messenger.storage.tables import messages, users
from tests.helpers import LiveUser
from tests.ops.data import add_upload, count, message_texts


def _audit_actions(settings: Any) -> list[str]:
    db = Database(settings.database_url)
    try:
        with db.read() as conn:
            rows, _ = audit_store.query(conn, "server", limit=50)
        return [r.action for r in rows]
    finally:
        db.dispose()


def _history(user: LiveUser, room_id: int) -> list[tuple[int, str, Any]]:
    r = user.get(f"/api/rooms/{room_id}/messages?limit=100")
    assert r.status_code == 200, r.text
    return [(m["id"], m["content"], (m.get("file") or {}).get("name")) for m in r.json()["messages"]]


def test_round_trip_while_serving(start_server: Any, db_backend: str) -> None:
    server = start_server()
    settings = server.runner.settings
    kim = LiveUser(server.url, "kim", "김철수")
    lee = LiveUser(server.url, "lee", "이영희")
    r = kim.post("/api/rooms", json={"type": "group", "name": "개발팀", "member_ids": [lee.id]})
    assert r.status_code == 201, r.text
    room = r.json()["room"]["id"]
    photo = bytes(range(256)) * 400
    up = kim.http.post(f"{server.url}/api/upload", data={"room_id": str(room)},
                       files={"file": ("회의록.bin", photo, "application/octet-stream")})
    assert up.status_code == 200, up.text
    sent = kim.post(f"/api/rooms/{room}/messages", json={"content": "회의록 올렸어요", "type": "file",
                                                          "upload_token": up.json()["upload_token"]})
    assert sent.status_code == 201, sent.text
    file_url = sent.json()["message"]["file"]["url"]
    for i in range(20):
        author = lee if i % 2 else kim
        assert author.post(f"/api/rooms/{room}/messages", json={"content": f"안녕하세요 {i}"}).status_code == 201
    before = _history(kim, room)
    assert len(before) >= 21  # (and the room's system message, if any)

    path = create_backup(settings, label="before upgrade")
    assert path.parent == settings.backup_dir and path.name.endswith("_before-upgrade")
    manifest = read_manifest(path)
    assert manifest["row_counts"]["messages"] == len(before) and manifest["row_counts"]["users"] == 2
    assert manifest["schema_revision"] == head_revision() and manifest["label"] == "before-upgrade"
    assert any(f["path"].startswith("uploads/") and f["size"] == len(photo) for f in manifest["files"])
    report = verify_backup(path)
    assert report.ok, report.text()

    # Life goes on after the backup: more messages, and the upload is lost from the disk.
    assert kim.post(f"/api/rooms/{room}/messages", json={"content": "백업 후 메시지"}).status_code == 201
    for stored in (settings.upload_dir).rglob("*"):
        if stored.is_file() and stored.read_bytes() == photo:
            stored.unlink()
    assert kim.get(file_url).status_code == 404

    with pytest.raises(RestoreRefused, match="running Intranet Messenger server is using"):
        restore_backup(settings, path)
    server.runner.stop()
    result = restore_backup(settings, path)
    assert result.safety_backup is not None
    safety = verify_backup(result.safety_backup)
    assert safety.ok and safety.warnings[0].key == "ops.verify_uploads_missing"  # the lost upload, faithfully kept
    assert read_manifest(result.safety_backup)["row_counts"]["messages"] == len(before) + 1

    again = start_server(settings)
    kim.base = again.url
    kim.login()  # the accounts came back with the data
    assert _history(kim, room) == before
    got = kim.get(file_url)
    assert got.status_code == 200 and got.content == photo
    assert "backup_restored" in _audit_actions(settings)


def test_backup_under_load_restores_exactly_the_snapshot(start_server: Any, db_backend: str) -> None:
    server = start_server(SOCKET_SEND_MESSAGE_PER_MINUTE=1_000_000)
    settings = server.runner.settings
    kim = LiveUser(server.url, "kim")
    room = kim.post("/api/rooms", json={"type": "group", "name": "부하", "member_ids": []}).json()["room"]["id"]
    writer_db = Database(settings.database_url)
    for i in range(30):  # some uploads so the backup takes a moment
        add_upload(writer_db, settings.upload_dir, room, kim.id, f"f{i}", bytes([i]) * 200_000)
    baseline = message_texts(writer_db)  # e.g. the room's "created" system message
    writer_db.dispose()
    written: dict[int, str] = {}
    stop = threading.Event()
    enough = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            text = f"부하 메시지 {n}"
            r = kim.post(f"/api/rooms/{room}/messages", json={"content": text})
            assert r.status_code == 201, r.text
            written[r.json()["message"]["id"]] = text
            if n == 50:
                enough.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert enough.wait(60)
        path = create_backup(settings)
        at_backup = len(written)
        deadline = time.monotonic() + 30
        while len(written) <= at_backup + 5:  # the writer carries on past the backup
            assert time.monotonic() < deadline, "the writer stopped"
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(30)
    snapshot_count = read_manifest(path)["row_counts"]["messages"]
    assert 50 <= snapshot_count - len(baseline) <= at_backup < len(written)
    assert verify_backup(path).ok

    server.runner.stop()
    restore_backup(settings, path)
    restored = Database(settings.database_url)
    try:
        got = message_texts(restored)
    finally:
        restored.dispose()
    # Exactly the messages committed before the snapshot: an unbroken prefix of what the writer wrote.
    expected = dict(sorted(written.items())[:snapshot_count - len(baseline)])
    assert got == {**baseline, **expected}
    again = start_server(settings)
    kim.base = again.url
    kim.login()
    last_id = max(expected)
    r = kim.get("/api/search", params={"q": expected[last_id], "limit": 50})
    assert r.status_code == 200, r.text  # the search index came back with the messages
    assert last_id in [hit["message"]["id"] for hit in r.json()["results"]]


def test_automatic_backup_job_runs_in_the_server(start_server: Any, db_backend: str) -> None:
    from messenger.ops.schedule import AutoBackup, save_auto_backup

    server = start_server()
    settings = server.runner.settings
    save_auto_backup(settings.data_dir, AutoBackup(enabled=True, hour=0, keep=3))
    assert server.call(lambda: server.svc.jobs.run_now("auto_backup")) is True
    made = list_backups(settings.backup_dir)
    assert len(made) == 1 and made[0].label == "auto" and verify_backup(made[0].path).ok
    server.call(lambda: server.svc.jobs.run_now("auto_backup"))  # already done today
    assert len(list_backups(settings.backup_dir)) == 1


def test_restore_from_older_schema_migrates_forward(make_settings: Any, tmp_path: Path) -> None:
    old = make_settings(DATABASE_URL="")  # an old SQLite install, still on schema 0001
    old.data_dir.mkdir(parents=True)
    db = Database(old.database_url)
    upgrade_to(db, "0001_initial")
    with db.begin() as conn:
        for name in ("park", "kim"):
            conn.execute(users.insert().values(username=name, display_name=name, password_hash=None,
                                               is_admin=name == "park", is_active=True, must_change_password=False,
                                               status_message="", created_at=_now()))
        # A group room of that version, kim's membership muted (before notify levels existed, 0006).
        conn.execute(text("INSERT INTO rooms (id, type, name, topic, created_by, created_at, last_activity_at) "
                          "VALUES (1, 'group', '기획팀', '', 1, :now, :now)"), {"now": _now()})
        conn.execute(text("INSERT INTO room_members (room_id, user_id, role, joined_at, last_read_message_id, "
                          "muted, pinned) VALUES (1, 1, 'admin', :now, 0, :f, :f), (1, 2, 'member', :now, 0, :t, :f)"),
                     {"now": _now(), "t": True, "f": False})
    db.dispose()
    path = create_backup(old, output_dir=tmp_path / "usb")
    assert read_manifest(path)["schema_revision"] == "0001_initial"
    assert verify_backup(path).ok

    target = make_settings()  # a current install (SQLite or PostgreSQL)
    result = restore_backup(target, path)
    assert (result.schema_from, result.schema_to) == ("0001_initial", head_revision())
    restored = Database(target.database_url)
    try:
        assert count(restored, users) == 2 and count(restored, messages) == 0
        from messenger.storage.migrate import current_revision

        assert current_revision(restored) == head_revision()
        with restored.begin() as conn:
            levels = dict(conn.execute(text("SELECT user_id, notify FROM room_members WHERE room_id = 1")).all())
            assert levels == {1: "all", 2: "none"}  # the muted membership became notify 'none'
            # Every column of a membership has a server default: plain SQL naming only the keys works.
            conn.execute(users.insert().values(username="lee", display_name="lee", created_at=_now()))
            conn.execute(text("INSERT INTO room_members (room_id, user_id, joined_at) "
                              "SELECT 1, id, :now FROM users WHERE username = 'lee'"), {"now": _now()})
            row = conn.execute(text("SELECT role, last_read_message_id, muted, pinned, notify FROM room_members "
                                    "JOIN users ON users.id = room_members.user_id WHERE username = 'lee'")).one()
            assert tuple(row) == ("member", 0, False, False, "all")
    finally:
        restored.dispose()
    assert list_backups(tmp_path / "usb")[0].path == path


def _now() -> Any:
    from messenger.storage import utcnow

    return utcnow()


def test_manifest_lists_every_file_with_hash_and_size(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    settings = make_settings(DATABASE_URL="")
    app = create_app(settings)
    svc = get_services(app)
    (settings.upload_dir / "a").mkdir(parents=True)
    (settings.upload_dir / "a" / "x.txt").write_text("hello")
    svc.db.dispose()
    path = create_backup(settings)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == "intranet-messenger-backup" and manifest["format_version"] == 1
    assert manifest["app_version"] and manifest["created_at"].endswith("Z")
    entry = next(f for f in manifest["files"] if f["path"] == "uploads/a/x.txt")
    assert entry == {"path": "uploads/a/x.txt", "size": 5,
                     "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}
    assert "audit_logs" in manifest["row_counts"]
