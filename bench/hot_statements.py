#!/usr/bin/env python3
"""The send path's hot statements (messenger/storage/hot.py) on SQLite: each run as the product runs it
(compiled once, straight to the sqlite3 driver) and, for comparison, the same Core statement executed
through SQLAlchemy, interleaved in one process (the machine is shared and noisy). Prints microseconds
per call: the minimum over the repetitions (the least disturbed) and the median.

    python bench/hot_statements.py [--reps 30] [--calls 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from messenger.messages import store as messages_store  # noqa: E402
from messenger.rooms import store as rooms_store  # noqa: E402
from messenger.storage import migrate  # noqa: E402
from messenger.storage.db import Database, utcnow  # noqa: E402
from messenger.storage.hot import HotStatement  # noqa: E402
from messenger.storage.tables import room_members, rooms, users  # noqa: E402

MEMBERS = 20
STATEMENTS: dict[str, tuple[HotStatement, bool]] = {  # name: (statement, whether the caller fetches rows)
    "insert message": (messages_store._INSERT_MESSAGE, True),
    "sender's name": (messages_store._SENDER, True),
    "members": (rooms_store._MEMBER_ROLES, True),
    "touch room": (rooms_store._TOUCH_ROOM, False),
    "read marker": (rooms_store._ADVANCE_READ, False),
}


def seed(db: Database) -> None:
    now = utcnow()
    with db.begin() as conn:
        for i in range(1, MEMBERS + 1):
            conn.execute(insert(users).values(id=i, username=f"u{i}", display_name=f"u{i}", created_at=now))
        conn.execute(insert(rooms).values(id=1, type="group", name="bench", created_at=now, last_activity_at=now))
        for i in range(1, MEMBERS + 1):
            conn.execute(insert(room_members).values(room_id=1, user_id=i, joined_at=now))


def params(name: str, n: int) -> dict[str, Any]:
    user = 1 + n % MEMBERS
    if name == "insert message":
        return {"room_id": 1, "sender_id": user, "type": "text", "content": "안녕하세요 " * 4, "reply_to_id": None,
                "file_id": None, "poll_id": None, "client_msg_id": f"c{n}", "created_at": dt.datetime.now()}
    if name == "sender's name":
        return {"id": user}
    if name == "members":
        return {"room": 1}
    if name == "touch room":
        return {"room": 1, "msg": n, "at": dt.datetime.now()}
    return {"room": 1, "user": user, "msg": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(db)
        seed(db)
        counter = itertools.count(1)
        ways = {
            "hot (driver)": lambda stmt, conn, p: stmt(conn, p),
            "SQLAlchemy": lambda stmt, conn, p: conn.execute(stmt.statement, p),
        }
        times: dict[tuple[str, str], list[float]] = {(s, w): [] for s in STATEMENTS for w in ways}
        with db.begin() as conn:
            for rep in range(args.reps):
                for name, (stmt, fetch) in STATEMENTS.items():
                    order = list(ways.items()) if rep % 2 == 0 else list(reversed(ways.items()))
                    for way, run in order:
                        batch = [params(name, next(counter)) for _ in range(args.calls)]
                        started = time.perf_counter()
                        for p in batch:
                            result = run(stmt, conn, p)
                            if fetch:
                                result.fetchall()
                        times[(name, way)].append((time.perf_counter() - started) / args.calls * 1e6)
        db.dispose()
    print(f"µs per call on SQLite: min (median) of {args.reps} interleaved repetitions of {args.calls} calls")
    print(f"{'statement':16s}" + "".join(f"{w:>22s}" for w in ways))
    for name in STATEMENTS:
        cells = [f"{min(times[(name, w)]):9.2f} ({statistics.median(times[(name, w)]):7.2f})" for w in ways]
        print(f"{name:16s}" + "".join(f"{c:>22s}" for c in cells))
    totals = [sum(min(times[(name, w)]) for name in STATEMENTS) for w in ways]
    print(f"{'all five':16s}" + "".join(f"{t:>22.1f}" for t in totals))


if __name__ == "__main__":
    main()
