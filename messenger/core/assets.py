"""The web client's build: one short fingerprint of every file the browser loads from the static folder.

A tab opened before an update keeps running the old scripts after its socket reconnects to the new
server; comparing the fingerprint it started with to the server's tells it to offer a reload.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


@functools.lru_cache(maxsize=4)
def client_build(static_folder: str) -> str:
    """A 16-hex-digit digest of the folder's files (relative path and content), computed once per
    process at the first request that asks (a start never waits for it)."""
    root = Path(static_folder)
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
