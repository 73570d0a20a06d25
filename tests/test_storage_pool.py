"""PostgreSQL under gevent: more greenlets than pooled connections wait for one cooperatively.

psycopg's waits are cooperative under gevent (it sees the patched ``select``), so a greenlet yields
while its query runs and others check out connections meanwhile. When the pool (10 + 40 overflow) was
full, the next checkout used to wait on the pool's native lock: the whole hub stopped, the greenlets
holding connections could not finish, and every waiter failed after the 15 s pool timeout (seen as
100 sockets connecting at once to one node of `bench/load.py --scenario scaleout`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Run as the launcher runs the server: gevent-patched before anything else is imported, threads native.
SCRIPT = """
from gevent import monkey
monkey.patch_all(thread=False, queue=False)
import json, sys, time
import gevent
from sqlalchemy import text
from messenger.storage import Database

db = Database(sys.argv[1])
with db.read() as conn:  # the server's start (migrations) connects first: SQLAlchemy's one-time dialect set-up
    conn.execute(text("SELECT 1"))  # holds a native lock while it connects
errors = []

def hold():
    try:
        with db.read() as conn:
            conn.execute(text("SELECT pg_sleep(0.3)"))
        with db.begin() as conn:
            conn.execute(text("SELECT pg_sleep(0.1)"))
    except Exception as exc:
        errors.append(type(exc).__name__)

ticks = []
def heartbeat():  # the hub keeps running while greenlets wait for a connection
    for _ in range(20):
        ticks.append(time.monotonic())
        gevent.sleep(0.05)

t0 = time.monotonic()
beat = gevent.spawn(heartbeat)
gevent.joinall([gevent.spawn(hold) for _ in range(80)] + [beat])
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print(json.dumps({"errors": errors, "seconds": time.monotonic() - t0, "max_gap": max(gaps)}))
db.dispose()
"""


def test_more_greenlets_than_connections_all_get_one(pg_cluster: Any) -> None:
    url = pg_cluster.url(pg_cluster.create_database(template=pg_cluster.template))
    out = subprocess.run([sys.executable, "-c", SCRIPT, url], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == []  # before: TimeoutError (QueuePool limit ... reached) for the 30 beyond the pool
    # The hub was never stopped for the pool timeout (15 s) by a native wait.
    assert result["max_gap"] < 5, result
