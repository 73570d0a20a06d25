"""Stray stored files: on disk in the uploads folder, but no live file row points at them.

A crash between writing an upload and committing its row, between a scan's move out of quarantine
and its commit, or between a row's deletion and the unlink leaves such files behind. The hourly
orphan job removes the ones older than a day. Only names this server creates are touched
(``ab/cd/<32 hex>``, ``quarantine/<32 hex>``, their ``_thumb`` images), so an operator's own files in a
custom ``UPLOAD_FOLDER`` are never deleted.
"""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from pathlib import Path

from messenger.core.context import Services
from messenger.files import store

STORED_NAME = re.compile(r"(?:[0-9a-f]{2}/[0-9a-f]{2}|quarantine)/[0-9a-f]{32}(?:_thumb\.(?:jpg|png))?")
SLICE = 500  # files looked at between two yields to the hub


def stray_files(svc: Services, older_than: timedelta, slice_size: int = SLICE) -> list[Path]:
    """Stored-looking files last modified before ``older_than`` ago that no live file row refers to.

    Runs in the server's hub: the walk and the read of the live paths go in slices with a yield
    between them (``time.sleep`` is gevent's under the launcher), so chat never waits on the whole store.
    """
    root = svc.settings.upload_dir
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than.total_seconds()
    candidates: dict[str, Path] = {}
    seen = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            seen += 1
            if seen % slice_size == 0:
                time.sleep(0)
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if STORED_NAME.fullmatch(rel) and not path.is_symlink() and path.stat().st_mtime < cutoff:
                candidates[rel] = path
    if not candidates:
        return []
    live: set[str] = set()
    after_id = 0
    while True:
        with svc.db.read() as conn:
            last_id, paths = store.live_stored_paths(conn, after_id, slice_size)
        live |= paths
        if last_id is None:
            break
        after_id = last_id
        time.sleep(0)
    return [path for rel, path in sorted(candidates.items()) if rel not in live]


def remove_stray_files(svc: Services, older_than: timedelta) -> int:
    """Delete :func:`stray_files`; how many were removed."""
    removed = 0
    for path in stray_files(svc, older_than):
        try:
            path.unlink()
        except OSError as exc:
            svc.log.warning("could not remove stray upload %s: %s", path, exc)
            continue
        removed += 1
    if removed:
        svc.log.info("removed %d stray stored file(s) that no upload refers to", removed)
    return removed
