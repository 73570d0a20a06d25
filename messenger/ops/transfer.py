"""Copy every table between two databases of possibly different backends (PostgreSQL <-> SQLite).

Used by the PostgreSQL backup (PostgreSQL -> SQLite snapshot) and restore (snapshot -> PostgreSQL).
The search index is backend-specific (FTS5 on SQLite, a bigram array on PostgreSQL), so its rows are
rebuilt on the target from the normalised text in ``search_docs`` instead of being copied.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, text

from messenger.search.store import Doc, insert_docs
from messenger.storage.tables import metadata

BATCH = 2000


def copy_tables(src: Connection, dst: Connection, replace: bool = False) -> None:
    """Insert every row of every table of ``src`` into ``dst`` (parents first). ``replace`` empties the
    target tables first (in the same transaction)."""
    tables = metadata.sorted_tables
    if replace:
        for table in reversed(tables):
            dst.execute(delete(table))
        if "search_fts" in _sqlite_tables(dst):
            dst.execute(text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"))
    for table in tables:
        if table.name == "search_docs":
            continue
        result = src.execution_options(yield_per=BATCH).execute(select(table))
        for rows in result.partitions():
            dst.execute(insert(table), [dict(r._mapping) for r in rows])
    if "search_docs" in metadata.tables:
        _copy_search_index(src, dst)


def _sqlite_tables(conn: Connection) -> set[str]:
    if conn.dialect.name != "sqlite":
        return set()
    return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}


def _copy_search_index(src: Connection, dst: Connection) -> None:
    """Re-index on the target from the source's ``search_docs`` rows (search.store.Doc fields)."""
    table = metadata.tables["search_docs"]
    query = select(*[table.c[name] for name in Doc._fields])
    for rows in src.execution_options(yield_per=BATCH).execute(query).partitions():
        insert_docs(dst, [Doc(*row) for row in rows])


def reset_sequences(conn: Connection) -> None:
    """After explicit ids were inserted into PostgreSQL, move each serial past the highest id."""
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int:
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0) + 1, '
                              "false)"), {"s": seq})
