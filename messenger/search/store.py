"""SQL for search: the bigram index (SQLite FTS5 / PostgreSQL GIN over a bigram array) and the queries.

SQLite: ``search_fts`` is a contentless FTS5 table (rowid = message id) whose single column holds the
ASCII bigram tokens of :mod:`messenger.search.text`, preceded by the room token ``r<room_id>``;
``search_docs`` keeps the normalised text so a row can be removed from the contentless index.
PostgreSQL: ``search_docs.grams`` (text[], GIN) holds the distinct bigrams; a candidate is confirmed
with ``strpos`` on the normalised text, so results are exact substring matches on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text

from messenger.search.text import doc_tokens

CHUNK = 500


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _fts_doc(room_id: int, norm: str) -> str:
    return " ".join([f"r{room_id}", *doc_tokens(norm)])


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def delete_docs(conn: Connection, message_ids: Sequence[int]) -> None:
    """Remove messages from the index (rows that are not indexed are ignored)."""
    ids = sorted({int(i) for i in message_ids})
    for chunk in _chunks(ids):
        params = {f"i{n}": v for n, v in enumerate(chunk)}
        marks = ", ".join(f":i{n}" for n in range(len(chunk)))
        if is_sqlite(conn):
            old = conn.execute(text(f"SELECT message_id, room_id, norm FROM search_docs "
                                    f"WHERE message_id IN ({marks})"), params).all()
            if old:
                conn.execute(text("INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', :id, :t)"),
                             [{"id": r.message_id, "t": _fts_doc(r.room_id, r.norm)} for r in old])
        conn.execute(text(f"DELETE FROM search_docs WHERE message_id IN ({marks})"), params)


def insert_docs(conn: Connection, rows: Sequence[tuple[int, int, str]]) -> None:
    """Index ``(message_id, room_id, normalised text)`` rows that are not indexed yet (bulk-friendly)."""
    rows = [r for r in rows if r[2]]
    if not rows:
        return
    if is_sqlite(conn):
        conn.execute(text("INSERT INTO search_docs (message_id, room_id, norm) VALUES (:id, :room, :norm)"),
                     [{"id": m, "room": r, "norm": n} for m, r, n in rows])
        conn.execute(text("INSERT INTO search_fts(rowid, tokens) VALUES (:id, :t)"),
                     [{"id": m, "t": _fts_doc(r, n)} for m, r, n in rows])
    else:
        conn.execute(text("INSERT INTO search_docs (message_id, room_id, norm, grams) "
                          "VALUES (:id, :room, :norm, :grams)"),
                     [{"id": m, "room": r, "norm": n, "grams": _pg_grams(n)} for m, r, n in rows])


def _pg_grams(norm: str) -> list[str]:
    return list(dict.fromkeys(doc_tokens(norm)[:-1]))


def optimize(conn: Connection) -> None:
    """Merge the FTS5 index segments (after a bulk load); ANALYZE on PostgreSQL."""
    if is_sqlite(conn):
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    else:
        conn.execute(text("ANALYZE search_docs"))


def indexed_ids(conn: Connection, message_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(set(message_ids))):
        params = {f"i{n}": v for n, v in enumerate(chunk)}
        marks = ", ".join(f":i{n}" for n in range(len(chunk)))
        found.update(r[0] for r in conn.execute(
            text(f"SELECT message_id FROM search_docs WHERE message_id IN ({marks})"), params))
    return found
