#!/usr/bin/env python3
"""What would several messages per commit save? The send handler's CPU per message (the real
``send_from_client`` on SQLite, 10 rooms of 20, no sockets) with 1 message per transaction, as the server
runs it, against 10 and 50 sends sharing one transaction, interleaved in one process.

The shared transaction is a measuring sketch, not a design: ``Database.begin`` is swapped for one that
hands the open outer connection to every send inside it, and their after-commit events run after the
outer commit. A real group commit needs every writer on SQLite to join the open group (another
greenlet's BEGIN IMMEDIATE would wait in SQLite's busy handler and stop the hub), savepoints so one
failed send does not undo the others, and the duplicate ``client_msg_id`` look-up on the group's
connection (docs/PERFORMANCE.md, "Server CPU per message").

    python bench/group_commit.py [--messages 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import _seed_product  # noqa: E402

from messenger.app import create_app, get_services  # noqa: E402
from messenger.messages import service  # noqa: E402
from messenger.settings import load_settings  # noqa: E402
from messenger.storage.db import Database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="im-bench-"))
    seeder = mp.get_context("spawn").Process(target=_seed_product,
                                             args=(str(tmp / "data"), [20] * 10, str(tmp / "seed.json")))
    seeder.start()
    seeder.join()
    senders = json.loads((tmp / "seed.json").read_text(encoding="utf-8"))["users"][::20]  # one per room
    app = create_app(load_settings(tmp / "data", env={}, overrides={
        "SOCKET_SEND_MESSAGE_PER_MINUTE": 10**7, "MDNS_ENABLED": False, "SECRET_KEY": secrets.token_urlsafe(32)}))
    svc = get_services(app)
    count = [0]

    def send() -> None:
        count[0] += 1
        u = senders[count[0] % len(senders)]
        service.send_from_client(svc, u["id"], u["room_id"], {
            "content": f"부하 시험 메시지 {count[0]} 오늘 회의", "client_msg_id": f"g{count[0]}"})

    plain = Database.begin
    outer: dict[str, Any] = {}

    @contextlib.contextmanager
    def shared_begin(self: Database) -> Iterator[Any]:
        if "conn" in outer:
            yield outer["conn"]
            return
        with plain(self) as conn:
            yield conn

    def grouped(size: int, total: int) -> None:
        Database.begin = shared_begin  # type: ignore[method-assign]
        try:
            for _ in range(total // size):
                with plain(svc.db) as conn:
                    outer["conn"] = conn
                    try:
                        for _ in range(size):
                            send()
                    finally:
                        outer.clear()
        finally:
            Database.begin = plain  # type: ignore[method-assign]

    with app.app_context():
        for _ in range(300):
            send()
        for _ in range(args.rounds):
            for size in (1, 10, 50):
                t = time.thread_time()
                if size == 1:
                    for _ in range(args.messages):
                        send()
                else:
                    grouped(size, args.messages)
                per = (time.thread_time() - t) / args.messages * 1e6
                print(f"{size:3d} message(s) per commit: {per:.0f} µs CPU per message", flush=True)
    svc.db.dispose()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
