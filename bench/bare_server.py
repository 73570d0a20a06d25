#!/usr/bin/env python3
"""The bare stack, for comparison in bench/load.py: Flask-SocketIO on the same gevent set-up as the
product (monkey.patch_all(thread=False, queue=False), pywsgi in a background thread, simple-websocket),
that only inserts each message into SQLite and broadcasts it to the room. No accounts, no checks.

Usage: python bench/bare_server.py --port P --db FILE
Clients connect with auth {"user_id": N, "rooms": [ids]}; `send_message` {room_id, content,
client_msg_id} → insert + emit `new_message` {message} to the room; ack {ok, message}.
`history` {room_id, after_id} → ack {ok, messages} (up to 500 after the id; the load benchmark's
catch-up after a restart).
"""

from gevent import monkey

monkey.patch_all(thread=False, queue=False)

import argparse  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402


def build(db_path: str) -> tuple[Flask, SocketIO]:
    app = Flask("bare")
    sio = SocketIO(app, async_mode="gevent", logger=False, engineio_logger=False, cors_allowed_origins="*")
    conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, room_id INTEGER, sender_id INTEGER, "
        "content TEXT, client_msg_id TEXT, created_at TEXT)"
    )
    users: dict[str, int] = {}

    @sio.on("connect")
    def connect(auth: Any = None) -> None:
        auth = auth or {}
        users[request.sid] = int(auth.get("user_id", 0))
        for room in auth.get("rooms", []):
            join_room(f"room:{room}")

    @sio.on("disconnect")
    def disconnect(*_: Any) -> None:
        users.pop(request.sid, None)

    @sio.on("send_message")
    def send_message(data: Any) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        cur = conn.execute(
            "INSERT INTO messages (room_id, sender_id, content, client_msg_id, created_at) VALUES (?,?,?,?,?)",
            (data["room_id"], users.get(request.sid), data["content"], data.get("client_msg_id"), now),
        )
        message = {"id": cur.lastrowid, "room_id": data["room_id"], "sender": {"id": users.get(request.sid)},
                   "content": data["content"], "client_msg_id": data.get("client_msg_id"), "created_at": now}
        sio.emit("new_message", {"message": message}, to=f"room:{data['room_id']}")
        return {"ok": True, "message": message}

    @sio.on("history")
    def history(data: Any) -> dict[str, Any]:
        """Catch-up after a reconnect: the room's messages after ``after_id`` (oldest first)."""
        rows = conn.execute(
            "SELECT id, room_id, sender_id, content, client_msg_id, created_at FROM messages "
            "WHERE room_id = ? AND id > ? ORDER BY id LIMIT 500", (data["room_id"], int(data.get("after_id", 0))),
        ).fetchall()
        return {"ok": True, "messages": [{"id": r[0], "room_id": r[1], "sender": {"id": r[2]}, "content": r[3],
                                          "client_msg_id": r[4], "created_at": r[5]} for r in rows]}

    return app, sio


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    app, _ = build(args.db)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        import gevent
        import gevent.event
        from gevent.pywsgi import WSGIServer

        from messenger.server import _handler_class

        server = WSGIServer(("127.0.0.1", args.port), app, log=None, handler_class=_handler_class())
        server.start()
        stop = gevent.event.Event()
        holder.update(hub=gevent.get_hub(), stop=stop)
        ready.set()
        stop.wait()
        server.stop(timeout=2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait()
    print(f"READY {args.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    holder["hub"].loop.run_callback_threadsafe(holder["stop"].set)
    thread.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
