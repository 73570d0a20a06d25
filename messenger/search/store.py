"""SQL for search: the bigram index (SQLite FTS5 / PostgreSQL GIN over a bigram array) and the queries.

SQLite: ``search_fts`` is a contentless FTS5 table (rowid = message id) whose single column holds the
ASCII bigram tokens of :mod:`messenger.search.text`, each prefixed with the message's room;
``search_docs`` keeps the normalised text so a row can be removed from the contentless index.
PostgreSQL: ``search_docs.grams`` (text[], GIN) holds the distinct room-prefixed bigrams; a candidate is confirmed
with ``strpos`` on the normalised text, so results are exact substring matches on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, text

from messenger.search.text import doc_tokens, room_prefix

CHUNK = 500


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _fts_doc(room_id: int, norm: str) -> str:
    prefix = room_prefix(room_id)
    return " ".join(prefix + t for t in doc_tokens(norm))


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
                     [{"id": m, "room": r, "norm": n, "grams": _pg_grams(r, n)} for m, r, n in rows])


def _pg_grams(room_id: int, norm: str) -> list[str]:
    prefix = room_prefix(room_id)
    return list(dict.fromkeys(prefix + t for t in doc_tokens(norm)[:-1]))


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


# ---------------------------------------------------------------------------------------------
# Queries. The caller's membership is a join inside the query, so LIMIT/OFFSET and the total only
# ever see messages of rooms the caller is in.
# ---------------------------------------------------------------------------------------------

def _filter_sql(filters: dict[str, Any], params: dict[str, Any], alias: str = "m") -> list[str]:
    """WHERE clauses for the advanced filters on ``messages`` (aliased ``alias``)."""
    where: list[str] = []
    if filters.get("sender_id") is not None:
        where.append(f"{alias}.sender_id = :sender_id")
        params["sender_id"] = filters["sender_id"]
    if filters.get("date_from") is not None:
        where.append(f"{alias}.created_at >= :date_from")
        params["date_from"] = filters["date_from"]
    if filters.get("date_before") is not None:
        where.append(f"{alias}.created_at < :date_before")
        params["date_before"] = filters["date_before"]
    if filters.get("has_file") is True:
        where.append(f"{alias}.file_id IS NOT NULL")
    elif filters.get("has_file") is False:
        where.append(f"{alias}.file_id IS NULL")
    file_type = filters.get("file_type")
    if file_type:
        kind, value = file_type
        if kind == "mime_prefix":
            cond = "lower(fl.mime) LIKE :ft ESCAPE '\\'"
            params["ft"] = like_escape(value) + "%"
        elif kind == "mime":
            cond = "lower(fl.mime) = :ft"
            params["ft"] = value
        else:
            cond = "lower(fl.original_name) LIKE :ft ESCAPE '\\'"
            params["ft"] = "%." + like_escape(value)
        where.append(f"EXISTS (SELECT 1 FROM files fl WHERE fl.id = {alias}.file_id AND {cond})")
    return where


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _needs_messages(filters: dict[str, Any]) -> bool:
    return any(filters.get(k) is not None for k in ("sender_id", "date_from", "date_before", "has_file",
                                                    "file_type"))


def search_ids(conn: Connection, viewer_id: int, norm_q: str, match: str | list[str], filters: dict[str, Any],
               limit: int, offset: int) -> tuple[list[int], int]:
    """Message ids (newest first) matching the normalised query in the viewer's rooms, and the total.

    ``match`` is :func:`messenger.search.text.fts_template` on SQLite, the query's bigrams on PostgreSQL.
    The index is partitioned by room, so the query is built for the viewer's rooms, read from
    ``room_members`` by the query itself (SQLite) or in the same transaction (PostgreSQL)."""
    params: dict[str, Any] = {"uid": viewer_id, "q": norm_q, "limit": limit, "offset": offset}
    member_sql = "SELECT rm.room_id FROM room_members rm WHERE rm.user_id = :uid"
    if filters.get("room_id") is not None:
        member_sql += " AND rm.room_id = :room_id"
        params["room_id"] = filters["room_id"]
    joins, where = "", []
    if _needs_messages(filters):
        joins = "JOIN messages m ON m.id = {id} "
        where = [*_filter_sql(filters, params), "m.deleted_at IS NULL"]
    if is_sqlite(conn):
        params["tpl"] = match
        per_room = "replace(:tpl, '{R}', printf('%xr', rm.room_id))"
        match_sql = (f"(SELECT coalesce(group_concat({per_room}, ' OR '), 'zz') FROM room_members rm "
                     f"WHERE rm.user_id = :uid{' AND rm.room_id = :room_id' if 'room_id' in params else ''})")
        base = ("FROM search_fts " + joins.format(id="search_fts.rowid")
                + f"WHERE search_fts MATCH {match_sql}" + "".join(f" AND {w}" for w in where))
        id_col, order = "search_fts.rowid", "ORDER BY search_fts.rowid DESC"
    else:
        rooms = [int(r[0]) for r in conn.execute(text(member_sql), params)]
        if not rooms:
            return [], 0
        conds = [f"d.room_id IN ({member_sql})", "strpos(d.norm, :q) > 0"]
        if len(norm_q) > 1:
            grams = list(dict.fromkeys(match))
            ors = []
            for i, room in enumerate(rooms):
                params[f"g{i}"] = [room_prefix(room) + g for g in grams]
                ors.append(f"d.grams @> CAST(:g{i} AS text[])")
            conds.insert(0, "(" + " OR ".join(ors) + ")")
        base = ("FROM search_docs d " + joins.format(id="d.message_id") + "WHERE "
                + " AND ".join(conds + where))
        id_col, order = "d.message_id", "ORDER BY d.message_id DESC"
    ids = [int(r[0]) for r in conn.execute(
        text(f"SELECT {id_col} {base} {order} LIMIT :limit OFFSET :offset"), params)]
    if offset == 0 and len(ids) < limit:
        total = len(ids)
    else:
        total = int(conn.execute(text(f"SELECT count(*) {base}"), params).scalar_one())
    return ids, total


def filter_ids(conn: Connection, viewer_id: int, filters: dict[str, Any], limit: int,
               offset: int) -> tuple[list[int], int]:
    """Advanced search without text: messages of the viewer's rooms matching the filters, newest first."""
    params: dict[str, Any] = {"uid": viewer_id, "limit": limit, "offset": offset}
    where = ["m.deleted_at IS NULL", "m.type <> 'system'",
             "m.room_id IN (SELECT rm.room_id FROM room_members rm WHERE rm.user_id = :uid)"]
    if filters.get("room_id") is not None:
        where.append("m.room_id = :room_id")
        params["room_id"] = filters["room_id"]
    where.extend(_filter_sql(filters, params))
    base = "FROM messages m WHERE " + " AND ".join(where)
    ids = [int(r[0]) for r in conn.execute(
        text(f"SELECT m.id {base} ORDER BY m.id DESC LIMIT :limit OFFSET :offset"), params)]
    if offset == 0 and len(ids) < limit:
        return ids, len(ids)
    return ids, int(conn.execute(text(f"SELECT count(*) {base}"), params).scalar_one())


def rooms_of_user(conn: Connection, user_id: int) -> list[Any]:
    """The user's rooms with a display name (direct rooms: the other member's display name)."""
    return list(conn.execute(text(
        "SELECT r.id, r.type, r.name, r.last_activity_at, "
        "(SELECT u.display_name FROM room_members o JOIN users u ON u.id = o.user_id "
        " WHERE o.room_id = r.id AND o.user_id <> :uid ORDER BY o.user_id LIMIT 1) AS other_name "
        "FROM rooms r JOIN room_members rm ON rm.room_id = r.id AND rm.user_id = :uid "
        "ORDER BY r.last_activity_at DESC, r.id DESC"), {"uid": user_id}).all())


def room_membership(conn: Connection, room_id: int, user_id: int) -> tuple[bool, bool]:
    """(room exists, user is a member)."""
    row = conn.execute(text(
        "SELECT r.id, (SELECT count(*) FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = :uid) "
        "FROM rooms r WHERE r.id = :rid"), {"rid": room_id, "uid": user_id}).first()
    return (row is not None, bool(row and row[1]))


def active_users(conn: Connection, limit: int = 20000) -> list[Any]:
    return list(conn.execute(text(
        "SELECT * FROM users WHERE deleted_at IS NULL AND is_active = :yes ORDER BY display_name, id LIMIT :limit"),
        {"yes": True, "limit": limit}).all())


def bulk_insert(conn: Connection, table_name: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows into one of the product's tables (bench/search.py builds its corpus with it)."""
    from messenger.storage.tables import metadata

    if rows:
        conn.execute(metadata.tables[table_name].insert(), list(rows))


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
