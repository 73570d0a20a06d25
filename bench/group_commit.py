#!/usr/bin/env python3
"""Group commit of sends on SQLite (messenger/storage/group.py): the send handler's CPU per message and
a lone send's latency, the real ``send_from_client`` in greenlets of one gevent hub (10 rooms of 20, no
sockets), with group commit off (every send its own transaction, as before) and on, interleaved.

A "burst" of k sends is k greenlets spawned at once, as the server spawns one per event read from the
sockets: with group commit on, the first leads a group, waits until the hub has nothing else to run,
and the k share one transaction (each in its savepoint); off, each commits alone. k = 1 is a lone send
at a quiet moment: its CPU and its latency (spawn to answer) show what grouping adds when there is
nothing to group. Then: how long an edit (a writer that does not join the group) spawned in the middle
of a burst of 50 waits, and mark_read's CPU alone and 10 at once.

    python bench/group_commit.py [--messages 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gevent

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import _seed_product  # noqa: E402

from messenger.app import create_app, get_services  # noqa: E402
from messenger.messages import service  # noqa: E402
from messenger.settings import load_settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="im-groupcommit-"))
    seeder = mp.get_context("spawn").Process(target=_seed_product,
                                             args=(str(tmp / "data"), [20] * 10, str(tmp / "seed.json")))
    seeder.start()
    seeder.join()
    users = json.loads((tmp / "seed.json").read_text(encoding="utf-8"))["users"]
    senders = users[::20]  # one per room
    app = create_app(load_settings(tmp / "data", env={}, overrides={
        "SOCKET_SEND_MESSAGE_PER_MINUTE": 10**7, "MDNS_ENABLED": False, "SECRET_KEY": secrets.token_urlsafe(32)}))
    svc = get_services(app)
    groups = svc.db.groups
    assert groups is not None
    count = [0]
    latest: dict[int, int] = {}  # room → its newest message

    def send() -> None:
        count[0] += 1
        u = senders[count[0] % len(senders)]
        message, _new = service.send_from_client(svc, u["id"], u["room_id"], {
            "content": f"부하 시험 메시지 {count[0]} 오늘 회의", "client_msg_id": f"g{count[0]}"})
        latest[u["room_id"]] = message["id"]

    def bursts(size: int, total: int) -> None:
        for _ in range(total // size):
            gevent.joinall([gevent.spawn(send) for _ in range(size)])

    def lone_latency(samples: int) -> float:
        """Median wall time from spawning one send to its answer, the hub otherwise idle (ms)."""
        times = []
        for _ in range(samples):
            t = time.perf_counter()
            gevent.spawn(send).join()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1e3

    edited = senders[0]
    target = [0]

    def edit_beside_burst(size: int) -> tuple[float, float]:
        """An edit spawned in the middle of a burst of sends: wall time from spawn to its answer, and to
        the last send's answer (ms)."""
        done: dict[str, float] = {}

        def edit() -> None:
            service.edit(svc, edited["id"], target[0], f"고친 글 {count[0]}")
            done["edit"] = time.perf_counter()

        jobs = [gevent.spawn(send) for _ in range(size // 2)]
        jobs.append(gevent.spawn(edit))
        jobs += [gevent.spawn(send) for _ in range(size - size // 2)]
        t = time.perf_counter()
        gevent.joinall(jobs)
        return (done["edit"] - t) * 1e3, (time.perf_counter() - t) * 1e3

    def marks(size: int) -> int:
        """Every user marks their room's newest message, ``size`` greenlets at once; how many marked."""
        for start in range(0, len(users), size):
            gevent.joinall([gevent.spawn(service.mark_read, svc, u["id"], u["room_id"], latest[u["room_id"]])
                            for u in users[start:start + size]])
        return len(users)

    bursts(1, 300)
    target[0] = service.send(svc, edited["id"], edited["room_id"], "고칠 글")["id"]
    for _ in range(args.rounds):
        for size in (1, 10, 50):
            for grouped in (False, True):
                groups.enabled = grouped
                before = groups.stats()
                t = time.thread_time()
                bursts(size, args.messages)
                per = (time.thread_time() - t) / args.messages * 1e6
                made, pieces = (b - a for a, b in zip(before, groups.stats(), strict=True))
                shared = f", {pieces / made:.1f} sends per transaction" if made else ""
                print(f"bursts of {size:2d}, group commit {'on ' if grouped else 'off'}: "
                      f"{per:4.0f} µs CPU per message{shared}", flush=True)
        for grouped in (False, True):
            groups.enabled = grouped
            print(f"lone send, group commit {'on ' if grouped else 'off'}: median latency "
                  f"{lone_latency(200):.3f} ms", flush=True)
        for grouped in (False, True):
            groups.enabled = grouped
            waits = [edit_beside_burst(50) for _ in range(20)]
            print(f"an edit in the middle of a burst of 50 sends, group commit {'on ' if grouped else 'off'}: "
                  f"answered after {statistics.median(w[0] for w in waits):.2f} ms, the burst's last send after "
                  f"{statistics.median(w[1] for w in waits):.2f} ms (medians of 20)", flush=True)
        for size in (1, 10):
            for grouped in (False, True):
                groups.enabled = grouped
                bursts(10, 200)  # every room has a newer message: every marker moves
                t = time.thread_time()
                n = marks(size)
                print(f"mark_read, {size:2d} at once, group commit {'on ' if grouped else 'off'}: "
                      f"{(time.thread_time() - t) / n * 1e6:4.0f} µs CPU each", flush=True)
    svc.db.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
