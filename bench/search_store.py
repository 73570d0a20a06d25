"""SQL that only the search benchmark needs (bench/search.py): bulk loading the corpus, merging the
index after it, and the sizes it reports. Kept out of messenger/search/store.py, which holds what the
product runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from messenger.search.store import is_sqlite
from messenger.storage.tables import metadata


def bulk_insert(conn: Connection, table_name: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows into one of the product's tables (the corpus is built with it)."""
    if rows:
        conn.execute(metadata.tables[table_name].insert(), list(rows))


def clear_rooms(conn: Connection) -> None:
    """Remove the rooms the migrations made (the announcement room): the corpus brings its own, from id 1."""
    conn.execute(text("DELETE FROM room_members"))
    conn.execute(text("DELETE FROM rooms"))


def optimize(conn: Connection) -> None:
    """Merge the FTS5 index segments (after a bulk load); ANALYZE on PostgreSQL (every table, as
    autovacuum would after a load: the planner needs the statistics of room_members and messages too)."""
    if is_sqlite(conn):
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    else:
        conn.execute(text("ANALYZE"))


def database_size(conn: Connection) -> int:
    """Bytes used by the database (SQLite file pages / PostgreSQL database size)."""
    if is_sqlite(conn):
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
        size = conn.execute(text("PRAGMA page_size")).scalar_one()
        return int(pages) * int(size)
    return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def index_size(conn: Connection) -> int | None:
    """Bytes used by the search index tables (SQLite needs the dbstat table; None when unavailable)."""
    try:
        if is_sqlite(conn):
            return int(conn.execute(text(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_%'")).scalar_one() or 0)
        return int(conn.execute(text("SELECT pg_total_relation_size('search_docs')")).scalar_one())
    except Exception:  # noqa: BLE001 - dbstat is a compile-time option of SQLite
        return None
