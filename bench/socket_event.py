#!/usr/bin/env python3
"""Per-event overheads of the Socket.IO path, the product's shortcut against what it replaces, interleaved
in one process (CPU time, min of the rounds; the machine is shared and noisy):

- the request context Flask-SocketIO pushes for every event: routed (Flask's ``create_url_adapter``,
  which matches ``/socket.io/`` against every route) against the app's ``SocketFlask`` (not routed);
- building and encoding the two packets of a sent message (the ``new_message`` event, encoded once for all
  recipients, and the sender's acknowledgement): python-socketio's ``Packet`` against ``JsonOnlyPacket``.

    python bench/socket_event.py [--rounds 5] [--per-round 3000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from socketio import packet  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from messenger.app import create_app, get_services  # noqa: E402
from messenger.realtime import JsonOnlyPacket, SocketFlask  # noqa: E402
from messenger.settings import load_settings  # noqa: E402

MESSAGE = {"message": {
    "id": 123456, "room_id": 7, "sender_id": 42, "type": "text", "content": "부하 시험 메시지 1234",
    "created_at": "2026-12-07T05:00:00Z", "edited_at": None, "deleted_at": None, "reply_to": None, "file": None,
    "poll": None, "mentions": [], "reactions": {}, "unread_count": 19, "read_count": 0,
    "client_msg_id": "w0-1234-1765083600.123456", "thread_root_id": None, "thread": None, "forwarded_from": None,
    "sender": {"id": 42, "username": "user42", "display_name": "사용자 42", "avatar_url": None}}}


def cpu_us(fn: Callable[[], object], n: int) -> float:
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=3000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="im-bench-"))
    app = create_app(load_settings(tmp / "data", env={}, overrides={
        "SECRET_KEY": secrets.token_urlsafe(32), "MDNS_ENABLED": False}))
    environ = EnvironBuilder(path="/socket.io/", query_string="EIO=4&transport=websocket",
                             headers={"Origin": "http://127.0.0.1:5000"}).get_environ()
    ack = {"ok": True, **MESSAGE, "duplicate": False}
    routed, unrouted = Flask.__dict__["create_url_adapter"], SocketFlask.__dict__["create_url_adapter"]

    def context() -> None:
        with app.request_context(environ):
            pass

    def packets(cls: type[packet.Packet]) -> Callable[[], None]:
        def run() -> None:
            cls(packet.EVENT, data=["new_message", MESSAGE]).encode()
            cls(packet.ACK, data=[ack], id=12).encode()
        return run

    rows: dict[str, list[float]] = {}
    try:
        for _ in range(args.rounds):
            SocketFlask.create_url_adapter = routed  # type: ignore[method-assign]
            rows.setdefault("event context, routed (before)", []).append(cpu_us(context, args.per_round))
            SocketFlask.create_url_adapter = unrouted  # type: ignore[method-assign]
            rows.setdefault("event context, not routed (SocketFlask)", []).append(cpu_us(context, args.per_round))
            rows.setdefault("event + ack packets, Packet (before)", []).append(
                cpu_us(packets(packet.Packet), args.per_round))
            rows.setdefault("event + ack packets, JsonOnlyPacket", []).append(
                cpu_us(packets(JsonOnlyPacket), args.per_round))
    finally:
        SocketFlask.create_url_adapter = unrouted  # type: ignore[method-assign]
        get_services(app).db.dispose()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, values in rows.items():
        print(f"{name}: {min(values):.1f} µs CPU (rounds: {', '.join(f'{v:.1f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
