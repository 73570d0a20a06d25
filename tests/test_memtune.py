"""The launcher's GC settling (messenger.memtune.settle_gc), in a subprocess: it freezes the whole process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import gc, json, weakref
from messenger.memtune import FULL_COLLECTION_EVERY, settle_gc

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a

gone = []
young = cycle()
weakref.finalize(young, gone.append, "young")
del young                                   # garbage made just before the first settle
kept = cycle()
weakref.finalize(kept, gone.append, "kept")
full_passes = gc.get_stats()[2]["collections"]
settle_gc()                                 # first start
out = {"after_first": list(gone), "frozen": gc.get_freeze_count() > 0,
       "full_pass": gc.get_stats()[2]["collections"] > full_passes,
       "threshold": gc.get_threshold()[2] == FULL_COLLECTION_EVERY}
del kept                                    # the previous server's objects, frozen, become garbage
settle_gc()                                 # the tray restarts the server
out["after_restart"] = list(gone)
print(json.dumps(out))
"""


def test_settle_gc_frees_young_garbage_at_the_first_start_and_the_old_servers_at_a_restart() -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["after_first"] == ["young"] and out["frozen"] and out["threshold"]
    assert out["full_pass"] is False  # a first start does not walk every object (40-50 ms)
    assert out["after_restart"] == ["young", "kept"]


HELD = r"""
import gc, json, sys, time
gc.disable()                                # what launcher.py does first thing
from messenger.memtune import FULL_COLLECTION_EVERY, end_gc_hold_later, settle_gc

class Node:
    pass

kept = [Node() for _ in range(50_000)]     # start-up's objects: more than any generation's threshold
walked = sum(s["collections"] for s in gc.get_stats())
settle_gc()                                 # the server is built
out = {"enabled": gc.isenabled(), "walked": sum(s["collections"] for s in gc.get_stats()) > walked,
       "frozen": gc.get_freeze_count() >= len(kept), "threshold": gc.get_threshold()[2] == FULL_COLLECTION_EVERY}
gc.disable()                                # a start that never got to settle_gc (e.g. it failed)
end_gc_hold_later(0.05)
deadline = time.monotonic() + 10
while not gc.isenabled() and time.monotonic() < deadline:
    time.sleep(0.01)
out["timer"] = gc.isenabled()
gc.disable()
from messenger.cli import main
try:
    main(["https", "--data-dir", sys.argv[1], "status"])  # any command but serving
except SystemExit:
    pass
out["command"] = gc.isenabled()
print(json.dumps(out))
"""


def test_collections_held_off_during_start_up_come_back_with_the_server_the_timer_or_another_command(
        tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", HELD, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # settle_gc freezes what start-up made without walking it, and turns collections back on
    assert out == {"enabled": True, "walked": False, "frozen": True, "threshold": True, "timer": True,
                   "command": True}
