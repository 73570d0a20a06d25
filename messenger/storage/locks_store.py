"""Leases in ``job_locks`` so a periodic job runs on one node at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, update

from messenger.storage.db import utcnow
from messenger.storage.tables import job_locks


def try_acquire(conn: Connection, name: str, holder: str, expires_at: dt.datetime) -> bool:
    """Take or renew the lease ``name``; False when another holder's lease is still running."""
    row = conn.execute(select(job_locks).where(job_locks.c.name == name)).first()
    now = utcnow()
    if row is None:
        conn.execute(insert(job_locks).values(name=name, holder=holder, expires_at=expires_at))
        return True
    if row.holder != holder and row.expires_at > now:
        return False
    result = conn.execute(
        update(job_locks)
        .where(job_locks.c.name == name, job_locks.c.holder == row.holder, job_locks.c.expires_at == row.expires_at)
        .values(holder=holder, expires_at=expires_at)
    )
    return result.rowcount == 1
