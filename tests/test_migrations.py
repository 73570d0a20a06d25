"""Migrations on start: an older database is brought to the newest schema; one at the newest is left
as it is without loading Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from messenger.ops.backup import upgrade_to
from messenger.storage import Database
from messenger.storage.migrate import HEAD, current_revision, head_revision, upgrade

ROOT = Path(__file__).resolve().parents[1]


def test_head_constant_names_the_newest_migration() -> None:
    """Adding a migration without moving HEAD would make every start skip it."""
    assert HEAD == head_revision()


def test_start_upgrades_an_older_database_and_leaves_a_current_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(url)
    try:
        upgrade_to(db, "0001_initial")
        upgrade(db)
        assert current_revision(db) == HEAD
    finally:
        db.dispose()
    # A second start on the current schema: answered from alembic_version, Alembic never imported.
    probe = ("import sys; from messenger.storage import Database; from messenger.storage.migrate import upgrade; "
             f"db = Database({url!r}); upgrade(db); db.dispose(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_sqlite_table_rebuilds_keep_every_row_and_tolerate_rows_that_already_dangled(tmp_path: Path) -> None:
    """0013 rebuilds users, rooms and messages on SQLite (batch mode). With foreign keys on, dropping the old
    users table deleted every membership and session by cascade; the migration environment turns them off.
    A row that already pointed nowhere before the run (written with foreign keys off) does not stop the
    start, and is kept as it was."""
    import sqlite3

    from sqlalchemy import text

    path = tmp_path / "m.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade_to(db, "0012_member_defaults")
    finally:
        db.dispose()
    raw = sqlite3.connect(path)  # foreign keys off: the default of a plain sqlite3 connection
    now = "2026-01-01 00:00:00"
    raw.execute("INSERT INTO users (id, username, display_name, is_admin, is_active, must_change_password, "
                "status_message, created_at) VALUES (1, 'kim', 'kim', 0, 1, 0, '', ?)", (now,))
    raw.execute("INSERT INTO rooms (id, type, name, topic, created_at, last_activity_at) VALUES (100, 'group', 'r', '', ?, ?)",
                (now, now))
    raw.execute("INSERT INTO room_members (room_id, user_id, joined_at) VALUES (100, 1, ?)", (now,))
    raw.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
                "VALUES ('h', 1, 'c', ?, ?)", (now, now))
    raw.execute("INSERT INTO messages (id, room_id, sender_id, type, content, created_at) "
                "VALUES (1, 100, 999, 'text', 'orphan sender', ?)", (now,))  # user 999 never existed
    raw.commit()
    raw.close()
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
        assert current_revision(db) == HEAD
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM room_members WHERE room_id = 100")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 1
            assert conn.execute(text("SELECT sender_id FROM messages WHERE id = 1")).scalar() == 999
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # on again for the server's use
    finally:
        db.dispose()
