#!/usr/bin/env python3
"""Intranet Messenger launcher: tray mode (default with a desktop), ``--headless``, and the
operations commands (``create-user``, ``backup``, ``verify``, ``restore``, ...).

gevent's monkey patching must come before anything else is imported; threads stay native so the
tray's loop can own the main thread while the server runs in a background thread.
"""

import gc

gc.disable()  # no collections while the server starts (messenger.memtune.end_gc_hold_later says why)

from gevent import events, monkey  # noqa: E402

# gevent tells plugins about every module it patches by scanning every installed distribution's entry
# points (importlib.metadata) once per event, about 20 times: ~60 ms of every start. Its only plugin
# (gevent's own signal/os warning) has nothing to say with os patched, and nothing else registers one.
events.notify_and_call_entry_points = events.notify
monkey.patch_all(thread=False, queue=False)

import sys  # noqa: E402

from messenger.memtune import end_gc_hold_later, limit_malloc_arenas  # noqa: E402

try:  # the desktop part decides tray or headless and shows start-up failures in a dialog
    from gui.launch import main
except ImportError:  # a build without gui/: headless, failures on the terminal
    from messenger.cli import main  # noqa: E402

if __name__ == "__main__":
    limit_malloc_arenas()
    # One pass over what the imports above made (~40,000 objects, ~7 ms): their ~900 objects of garbage
    # (pure-Python classes that compiled ones replaced: gevent's, datetime's) would otherwise be frozen
    # with the rest at settle_gc (~0.9 MB of resident memory).
    gc.collect()
    end_gc_hold_later()
    sys.exit(main())
