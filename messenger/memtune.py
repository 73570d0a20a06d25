"""Memory and garbage-collector tuning for the long-running server process.

glibc gives every thread that allocates its own malloc arena and rarely returns their memory; the
hub's password-hashing thread pool (Argon2 takes 19 MiB per hash) then leaves tens of megabytes
behind per thread. Two arenas are plenty for one gevent hub plus a few helper threads: with 1,000
idle WebSocket users the server's RSS went from 357 MB to 290 MB (bench/load.py --idle 1000).
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading

M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (no-op elsewhere). Must run before other threads start."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (e.g. musl)
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


FULL_COLLECTION_EVERY = 1000  # gen-1 collections between full collections (Python's default: 10)
START_UP_GC_HOLD_SECONDS = 60.0  # the longest collections stay off when nothing turns them back on


def end_gc_hold_later(seconds: float = START_UP_GC_HOLD_SECONDS) -> None:
    """Collections back on after ``seconds`` at the latest: ``launcher.py`` turns them off first thing.

    Start-up makes ~100,000 objects that live as long as the process and almost no garbage: the
    ~250 collections it triggered found ~1,400 objects and cost ~45 ms of every start's CPU
    (docs/PERFORMANCE.md). :func:`settle_gc` turns them back on once the server is built, the CLI
    at once for every other command, and this timer whatever happened (e.g. a start-up failure
    shown in the tray). Call it after :func:`limit_malloc_arenas` (it starts a thread).
    """
    timer = threading.Timer(seconds, gc.enable)
    timer.daemon = True
    timer.start()


def settle_gc() -> None:
    """After the server is built: freeze what start-up made and make full collections rare.

    A full collection walks every tracked object and stops the one gevent hub while it does: under
    chat load (bench/load.py, 400 msg/s) they came every ~5 s and took 50-160 ms each, and every
    message that arrived meanwhile waited. Frozen start-up objects (~140,000) are never walked again,
    and full collections wait for 1,000 generation-1 collections instead of 10 (still minutes at
    most under load). Safe to repeat (the tray restarts the server): the previous freeze is undone
    and its garbage collected first.

    A first start collects only the young generations: a full pass over its ~100,000 objects found
    no garbage on an existing data dir (36 objects after a new one's migrations) and cost 40-50 ms
    of every start. When collections were held off since launch (:func:`hold_gc_for_start_up`),
    everything start-up made is still young, so it is frozen as it is (a collection would walk it
    all) and collections are turned back on.
    """
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    elif gc.isenabled():
        gc.collect(1)
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    gc.enable()
