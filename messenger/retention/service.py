"""Retention: with ``RETENTION_DAYS`` > 0, forget messages older than that many days, daily.

Each batch of at most :data:`BATCH` messages is one short transaction that removes the messages
with their reactions, mentions, pins, polls, search index rows, marks their files deleted, and repairs
``rooms.last_message_id``; the batch's files leave the disk only after that transaction committed
(a crash in between leaves orphan files, never a message pointing at a missing file). One server
audit entry ``retention_run`` records the counts of the whole run.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from typing import Any

from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.files import service as files_service
from messenger.files import store as files_store
from messenger.polls import store as polls_store
from messenger.retention import store
from messenger.search import index as search_index
from messenger.storage.db import iso, on_commit, utcnow

# Each batch is one write transaction; on SQLite in the gevent hub nothing else runs meanwhile, so the
# batch is sized to stay well under a second even with the search index (measured ~0.2 s for 1,000).
BATCH = 1000
COUNTED = ("messages", "reactions", "mentions", "pins", "polls", "files")


def run_retention(svc: Services, now: dt.datetime | None = None, batch: int = BATCH) -> dict[str, Any]:
    """Delete messages older than ``RETENTION_DAYS`` before ``now``; the counts (also in the audit entry)."""
    days = svc.settings.RETENTION_DAYS
    result: dict[str, Any] = {"days": days, **dict.fromkeys(COUNTED, 0), "batches": 0}
    if days <= 0:
        result["skipped"] = True
        return result
    started = time.monotonic()
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    result["cutoff"] = iso(cutoff)
    while True:
        with svc.db.begin() as conn:
            rows = store.old_messages(conn, cutoff, batch)
            if not rows:
                break
            ids = [int(r.id) for r in rows]
            room_ids = sorted({int(r.room_id) for r in rows})
            file_ids = list(files_store.file_ids_for_messages(conn, ids))
            kept = files_service.still_carried(conn, file_ids, ids)  # forwarded copies not yet expired
            file_ids = [f for f in file_ids if f not in kept]
            search_index.remove_messages(conn, ids)
            for kind, n in store.delete_messages(conn, room_ids, ids).items():
                result[kind] += n
            result["polls"] += polls_store.delete_polls(conn, sorted({int(r.poll_id) for r in rows if r.poll_id}))
            result["files"] += len(files_store.mark_deleted(conn, file_ids))
            store.repair_last_message(conn, room_ids, ids)
            if file_ids:  # once committed: only then may the files leave the disk
                on_commit(conn, functools.partial(files_service.delete_stored_files, svc, file_ids))
        result["batches"] += 1
        time.sleep(0.01)  # under the launcher's gevent patching: let requests run between batches
        if len(rows) < batch:
            break
    result["seconds"] = round(time.monotonic() - started, 3)
    with svc.db.begin() as conn:
        audit_store.add(conn, "server", "retention_run", None, details=result)
    svc.log.info("retention: %s", result)
    return result
