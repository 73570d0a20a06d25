#!/usr/bin/env python3
"""History benchmark: with N messages (default 1,000,000) in the database, p50/p95 of fetching a
room's latest 50 messages, of paging back, of the latest 50 of a room of every user (300 members,
read markers spread over its last messages: the read/unread counts), and of the room list for a user
in 100 rooms.

    python bench/history.py                    # 1,000,000 messages, SQLite in a temporary data dir
    python bench/history.py --messages 100000
    python bench/history.py --db-url postgresql+psycopg://app@127.0.0.1:5432/bench
    python bench/history.py --baseline main    # also time the big room's latest 50 with the code of
                                               # another git revision, on the same database, interleaved

Data goes in through the product's own store functions (users, rooms, members, messages); timings
are taken through the product's service functions (the data path of GET /api/rooms/<id>/messages
and GET /api/rooms minus HTTP) and, for comparison, through the real HTTP routes (Flask test client).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from messenger.accounts import store as accounts_store  # noqa: E402
from messenger.accounts.service import start_session  # noqa: E402
from messenger.app import create_app, get_services  # noqa: E402
from messenger.messages import service as messages_service  # noqa: E402
from messenger.messages import store as messages_store  # noqa: E402
from messenger.rooms import service as rooms_service  # noqa: E402
from messenger.rooms import store as rooms_store  # noqa: E402
from messenger.settings import load_settings  # noqa: E402

WORDS = ["회의", "보고서", "견적서", "일정", "확인 부탁드립니다", "공유드립니다", "내일", "오후 3시", "release", "invoice",
         "감사합니다", "네 알겠습니다", "점심", "프로젝트", "배포", "고객사 미팅", "자료 올려두었습니다", "LGTM"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def build(svc: Any, n_messages: int, n_users: int, n_rooms: int, rng: random.Random) -> tuple[int, list[int], int]:
    t0 = time.perf_counter()
    with svc.db.begin() as conn:
        users = [accounts_store.create_user(conn, f"user{i:04d}", f"사용자{i}", None) for i in range(n_users)]
        main_user = users[0]
        rooms = []
        for r in range(n_rooms):
            members = set(rng.sample(users[1:], 19))
            if r < 100:
                members.add(main_user)  # the main user is in 100 rooms
            room_id = rooms_store.create_room(conn, "group", f"팀 {r}", "", None, created_by=main_user)
            rooms_store.add_members(conn, room_id, sorted(members))
            rooms.append((room_id, sorted(members)))
        big_room = rooms_store.create_room(conn, "group", "전체", "", None, created_by=main_user)
        rooms_store.add_members(conn, big_room, users)  # every user: 300 members by default
        rooms.append((big_room, users))
    n_rooms += 1
    done = 0
    batch = 20000
    while done < n_messages:
        with svc.db.begin() as conn:
            last: dict[int, tuple[int, Any]] = {}
            for _ in range(min(batch, n_messages - done)):
                room_id, members = rooms[rng.randrange(n_rooms)]
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
                msg_id, at = messages_store.insert_message(conn, room_id, rng.choice(members), "text", text)
                last[room_id] = (msg_id, at)
            for room_id, (msg_id, at) in last.items():
                rooms_store.touch_room(conn, room_id, msg_id, at)
        done += min(batch, n_messages - done)
        print(f"\r  inserted {done:,}/{n_messages:,} messages", end="", flush=True)
    with svc.db.begin() as conn:  # the big room's members have read up to one of its last 200 messages
        recent = [m.id for m in messages_store.page(conn, big_room, None, None, 200)[0]]
        for uid in users:
            rooms_store.advance_read(conn, big_room, uid, rng.choice(recent))
    print(f"\n  built in {time.perf_counter() - t0:.1f} s")
    return main_user, [r for r, members in rooms[:100]], big_room


# Run with the code of another revision (a git worktree of it): times the big room's latest 50 through
# that revision's service function, on this benchmark's database (its migrations are skipped: an older
# revision reads the newer schema's tables and columns it knows).
BASELINE_SNIPPET = """
import json, sys, time
sys.path.insert(0, ".")
import messenger.app
from messenger.app import create_app, get_services
from messenger.messages import service
from messenger.settings import load_settings
messenger.app.upgrade = lambda db: None  # the database is newer than that code's migrations: read it as it is
data_dir, db_url, user_id, room_id, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
settings = load_settings(data_dir, env={}, overrides={"SECRET_KEY": "x" * 43, "DATABASE_URL": db_url, "MDNS_ENABLED": False})
svc = get_services(create_app(settings))
for _ in range(20):
    service.history(svc, user_id, room_id, limit=50)
out = []
for _ in range(runs):
    t = time.perf_counter()
    service.history(svc, user_id, room_id, limit=50)
    out.append(time.perf_counter() - t)
print(json.dumps(out))
"""


def baseline_worktree(rev: str) -> Path:
    root = Path(__file__).resolve().parents[1]
    path = Path(tempfile.mkdtemp(prefix="im-baseline-"))
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "--quiet", str(path), rev], check=True)
    return path


def time_baseline(path: Path, data_dir: Path, db_url: str, user_id: int, room_id: int, runs: int) -> list[float]:
    out = subprocess.run([sys.executable, "-c", BASELINE_SNIPPET, str(data_dir), db_url, str(user_id), str(room_id),
                          str(runs)], cwd=path, check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(path)})
    return [float(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--db-url", default="")
    parser.add_argument("--baseline", default="", help="a git revision to compare the big room's latest 50 with")
    args = parser.parse_args()
    rng = random.Random(7)
    data_dir = Path(tempfile.mkdtemp(prefix="im-history-"))
    settings = load_settings(data_dir, env={}, overrides={"SECRET_KEY": secrets.token_urlsafe(32),
                                                          "DATABASE_URL": args.db_url, "MDNS_ENABLED": False})
    app = create_app(settings)
    svc = get_services(app)
    print(f"building {args.messages:,} messages in {args.rooms} rooms for {args.users} users ...")
    user_id, rooms, big_room = build(svc, args.messages, args.users, args.rooms, rng)
    db_file = settings.sqlite_path
    size = f"{db_file.stat().st_size / 1e6:.0f} MB" if db_file else "(PostgreSQL)"

    def latest() -> Any:
        return messages_service.history(svc, user_id, rng.choice(rooms), limit=50)

    def page_back() -> Any:
        room = rng.choice(rooms)
        first, _ = messages_service.history(svc, user_id, room, limit=50)
        before = first[-1]["id"] if first else None
        return messages_service.history(svc, user_id, room, before_id=before, limit=50)

    def room_list() -> Any:
        rows = rooms_service.list_rooms(svc, user_id)
        assert len(rows) == 101  # 100 rooms of 20 and the room of everyone
        return rows

    def big_latest() -> Any:
        return messages_service.history(svc, user_id, big_room, limit=50)

    with svc.db.count_statements() as stmts:
        latest()
    n_latest = len(stmts)
    with svc.db.count_statements() as stmts:
        room_list()
    n_list = len(stmts)
    for fn in (latest, room_list, big_latest):  # warm the cache
        timed(fn, 20)
    results: dict[str, list[float]] = {}
    if args.baseline:  # interleaved: this code, the baseline, this code, the baseline
        base_path = baseline_worktree(args.baseline)
        try:
            for _round in range(2):
                results.setdefault("latest 50, 300-member room (service)", []).extend(timed(big_latest, args.runs))
                results.setdefault(f"  same, baseline {args.baseline} (service)", []).extend(
                    time_baseline(base_path, data_dir, args.db_url, user_id, big_room, args.runs))
        finally:
            root = Path(__file__).resolve().parents[1]
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(base_path)], check=False)
    else:
        results["latest 50, 300-member room (service)"] = timed(big_latest, args.runs)
    results.update({
        "latest 50 of a room (service)": timed(latest, args.runs),
        "page back 50 (service, 2 pages)": timed(page_back, args.runs),
        "room list, 101 rooms (service)": timed(room_list, args.runs),
    })
    token, _csrf = start_session(svc, user_id, "127.0.0.1", "bench")
    client = app.test_client()
    client.set_cookie("im_session", token)
    results["latest 50 (HTTP route)"] = timed(
        lambda: client.get(f"/api/rooms/{rng.choice(rooms)}/messages?limit=50"), args.runs)
    results["room list (HTTP route)"] = timed(lambda: client.get("/api/rooms"), args.runs)
    print()
    print(f"messages={args.messages:,} rooms={args.rooms}+1 of {args.users} users={args.users} db={'SQLite' if db_file else 'PostgreSQL'}"
          f" size={size}; statements: latest 50 = {n_latest}, room list = {n_list}")
    print(f"{'operation':36} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, values in results.items():
        print(f"{name:36} {pct(values, 0.50):8.2f} {pct(values, 0.95):8.2f} {statistics.mean(values) * 1000:8.2f}")
    svc.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
