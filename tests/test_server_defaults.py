"""Every column with a Python-side default has the same default in the database (migrations 0012, 0013):
a row inserted by plain SQL that leaves those columns out is stored with the values the tables would give."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from messenger.storage import tables


def test_every_column_with_a_python_default_declares_a_server_default() -> None:
    missing = [f"{t.name}.{c.name}" for t in tables.metadata.sorted_tables for c in t.columns
               if c.default is not None and c.default.is_scalar and c.server_default is None]
    assert missing == []


def test_plain_sql_inserts_without_the_defaulted_columns_get_the_defaults(svc: Any) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    p: dict[str, Any] = {"now": now}
    with svc.db.begin() as conn:
        conn.execute(text("INSERT INTO users (username, display_name, created_at) VALUES ('plain', 'Plain', :now)"), p)
        p["uid"] = conn.execute(text("SELECT id FROM users WHERE username = 'plain'")).scalar_one()
        conn.execute(text("INSERT INTO rooms (type, created_by, created_at, last_activity_at) "
                          "VALUES ('group', :uid, :now, :now)"), p)
        p["rid"] = conn.execute(text("SELECT max(id) FROM rooms")).scalar_one()
        conn.execute(text("INSERT INTO messages (room_id, sender_id, type, created_at) "
                          "VALUES (:rid, :uid, 'text', :now)"), p)
        p["mid"] = conn.execute(text("SELECT max(id) FROM messages")).scalar_one()
        conn.execute(text("INSERT INTO polls (room_id, creator_id, question, created_at) "
                          "VALUES (:rid, :uid, 'lunch?', :now)"), p)
        conn.execute(text("INSERT INTO files (room_id, uploader_id, original_name, stored_path, size, mime, sha256, "
                          "created_at) VALUES (:rid, :uid, 'a.txt', 'x/a', 1, 'text/plain', 'ab', :now)"), p)
        p["fid"] = conn.execute(text("SELECT max(id) FROM files")).scalar_one()
        conn.execute(text("INSERT INTO upload_jobs (id, file_id, uploader_id, room_id, status, created_at, "
                          "updated_at) VALUES ('job-plain', :fid, :uid, :rid, 'pending', :now, :now)"), p)
        conn.execute(text("INSERT INTO audit_logs (scope, action, created_at) VALUES ('server', 'plain', :now)"), p)
        conn.execute(text("INSERT INTO notices (room_id, author_id, content, created_at) "
                          "VALUES (:rid, :uid, 'read me', :now)"), p)
        conn.execute(text("INSERT INTO search_docs (message_id, room_id, norm) VALUES (:mid, :rid, '')"), p)
    with svc.db.read() as conn:
        def one(sql: str) -> tuple[Any, ...]:
            return tuple(conn.execute(text(sql), p).one())

        assert one("SELECT is_admin, is_active, must_change_password, status_message FROM users WHERE id = :uid") \
            == (False, True, False, "")
        assert one("SELECT name, topic, kind FROM rooms WHERE id = :rid") == ("", "", "chat")
        assert one("SELECT content FROM messages WHERE id = :mid") == ("",)
        assert one("SELECT multiple_choice, anonymous FROM polls WHERE room_id = :rid") == (False, False)
        assert one("SELECT purpose, scan_status FROM files WHERE id = :fid") == ("message", "clean")
        assert one("SELECT detail, attempts FROM upload_jobs WHERE id = 'job-plain'") == ("", 0)
        assert one("SELECT details FROM audit_logs WHERE action = 'plain'") == ("{}",)
        assert one("SELECT require_ack FROM notices WHERE room_id = :rid") == (False,)
        assert one("SELECT has_file FROM search_docs WHERE message_id = :mid") == (False,)
