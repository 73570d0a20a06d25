"""SQLite WAL checkpoints run in a background OS thread, never inside a request's commit."""

from __future__ import annotations

import secrets
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from messenger.app import create_app, get_services
from messenger.storage import Database


def _rows_in_main_file(db_file: Path) -> int:
    """Messages as the database FILE has them, ignoring the WAL (what a checkpoint has copied)."""
    conn = sqlite3.connect(f"file:{db_file}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
    except sqlite3.DatabaseError:
        # Not even the schema has been copied yet, or (immutable=1 reads without locks) a checkpoint was
        # writing the pages this read met: "malformed". The caller polls again.
        return 0
    finally:
        conn.close()


def test_commits_do_not_checkpoint_and_the_background_thread_does(tmp_path: Path) -> None:
    from messenger.accounts import store as accounts_store
    from messenger.messages import service
    from messenger.rooms import store as rooms_store
    from messenger.settings import load_settings

    settings = load_settings(tmp_path / "data", env={}, overrides={  # the embedded SQLite database
        "SECRET_KEY": secrets.token_urlsafe(32), "MDNS_ENABLED": False, "SOCKET_SEND_MESSAGE_PER_MINUTE": 100000})
    app = create_app(settings)
    svc = get_services(app)
    try:
        with svc.db.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0  # no checkpoint in a commit
            uid = accounts_store.create_user(conn, "kim", "김", None)
            room = rooms_store.create_room(conn, "group", "r", "", None, uid)
            rooms_store.add_members(conn, room, [uid])
        db_file = Path(svc.db.engine.url.database)
        for i in range(300):
            service.send(svc, uid, room, f"메시지 {i}")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _rows_in_main_file(db_file) < 300:
            time.sleep(0.1)
        assert _rows_in_main_file(db_file) == 300  # copied into the file without any commit doing it
        with svc.db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM messages")).scalar() == 300
    finally:
        svc.db.dispose()
    checkpointer = svc.db._checkpointer
    assert checkpointer is not None and not checkpointer.is_alive()  # dispose() waits for it


def test_other_databases_keep_sqlite_automatic_checkpoints(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")  # backups, restores, tools: no background thread
    try:
        with db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
        assert db._checkpointer is None
    finally:
        db.dispose()
