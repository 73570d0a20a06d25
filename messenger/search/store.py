"""SQL for search: the bigram index (SQLite FTS5 / PostgreSQL GIN over a bigram array) and the queries.

SQLite: ``search_fts`` is a contentless FTS5 table (rowid = message id) whose single column holds the
ASCII bigram tokens of :mod:`messenger.search.text`, each prefixed with the message's room;
a message also carries ``<room>s<sender>`` and, with a file, ``<room>f`` (the sender and has-file
filters are then index lookups too); ``search_docs`` keeps what is needed to recompute the tokens,
which a contentless FTS5 table requires to delete a row.
PostgreSQL: ``search_docs.grams`` (text[], GIN) holds the distinct room-prefixed bigrams and characters; a candidate is confirmed
with ``strpos`` on the normalised text, so results are exact substring matches on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, column, insert, table, text

from messenger.search.text import char_token, doc_tokens, room_prefix
from messenger.storage.hot import HotStatement
from messenger.storage.tables import search_docs

CHUNK = 500
# The contentless FTS5 table (created by migration 0002_search only), for the statements built from Core.
search_fts = table("search_fts", column("rowid"), column("tokens"))


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


class Doc(NamedTuple):
    """One indexed message."""

    message_id: int
    room_id: int
    sender_id: int | None
    has_file: bool
    norm: str


def _fts_doc(doc: Doc) -> str:
    """The FTS5 column of a message: its room's sender and file tokens, then its bigram tokens."""
    prefix = room_prefix(doc.room_id)
    head = [f"{prefix}s{doc.sender_id:x}"] if doc.sender_id else []
    if doc.has_file:
        head.append(f"{prefix}f")
    return " ".join(head + [prefix + t for t in doc_tokens(doc.norm)])


def _pg_grams(doc: Doc) -> list[str]:
    """Distinct room-prefixed bigrams, then the character tokens (one-character queries)."""
    prefix = room_prefix(doc.room_id)
    grams = dict.fromkeys(prefix + t for t in doc_tokens(doc.norm)[:-1])
    grams.update(dict.fromkeys(prefix + char_token(ch) for ch in doc.norm))
    return list(grams)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _in(ids: list[int]) -> tuple[str, dict[str, int]]:
    return ", ".join(f":i{n}" for n in range(len(ids))), {f"i{n}": v for n, v in enumerate(ids)}


def message_meta(conn: Connection, message_ids: Sequence[int]) -> dict[int, tuple[int | None, bool]]:
    """``{message_id: (sender_id, has_file)}`` from ``messages``."""
    out: dict[int, tuple[int | None, bool]] = {}
    for chunk in _chunks(sorted({int(i) for i in message_ids})):
        marks, params = _in(chunk)
        for r in conn.execute(text(f"SELECT id, sender_id, file_id FROM messages WHERE id IN ({marks})"), params):
            out[int(r.id)] = (r.sender_id, r.file_id is not None)
    return out


def delete_docs(conn: Connection, message_ids: Sequence[int]) -> None:
    """Remove messages from the index (rows that are not indexed are ignored)."""
    for chunk in _chunks(sorted({int(i) for i in message_ids})):
        marks, params = _in(chunk)
        if is_sqlite(conn):
            old = conn.execute(text(f"SELECT message_id, room_id, sender_id, has_file, norm FROM search_docs "
                                    f"WHERE message_id IN ({marks})"), params).all()
            if old:
                conn.execute(text("INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', :id, :t)"),
                             [{"id": r.message_id, "t": _fts_doc(Doc(*r))} for r in old])
        conn.execute(text(f"DELETE FROM search_docs WHERE message_id IN ({marks})"), params)


# The send path indexes every message.
_INSERT_DOC = HotStatement(insert(search_docs).values(
    message_id=bindparam("id"), room_id=bindparam("room"), sender_id=bindparam("sender"), has_file=bindparam("file"),
    norm=bindparam("norm")))
_INSERT_FTS = HotStatement(insert(search_fts).values(rowid=bindparam("id"), tokens=bindparam("t")))
_INSERT_PG_DOC = text("INSERT INTO search_docs (message_id, room_id, sender_id, has_file, norm, grams) "
                      "VALUES (:id, :room, :sender, :file, :norm, :grams)")


def insert_docs(conn: Connection, docs: Sequence[Doc]) -> None:
    """Index messages that are not indexed yet (bulk-friendly); empty texts are skipped."""
    docs = [d for d in docs if d.norm]
    if not docs:
        return
    rows: list[dict[str, Any]] = [
        {"id": d.message_id, "room": d.room_id, "sender": d.sender_id, "file": d.has_file, "norm": d.norm}
        for d in docs]
    if is_sqlite(conn):
        if len(docs) == 1:  # the send path
            _INSERT_DOC(conn, rows[0])
            _INSERT_FTS(conn, {"id": docs[0].message_id, "t": _fts_doc(docs[0])})
        else:  # bulk (re-index): executemany through SQLAlchemy
            conn.execute(_INSERT_DOC.statement, rows)
            conn.execute(_INSERT_FTS.statement, [{"id": d.message_id, "t": _fts_doc(d)} for d in docs])
    else:
        for row, doc in zip(rows, docs, strict=True):
            row["grams"] = _pg_grams(doc)
        conn.execute(_INSERT_PG_DOC, rows)


# ---------------------------------------------------------------------------------------------
# Queries. The caller's membership (room_members) is part of every query, so LIMIT/OFFSET and the
# total only ever see messages of rooms the caller is in.
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


def _fts_expression(template: str | None, filters: dict[str, Any]) -> str:
    """The per-room MATCH template (``{R}`` = room prefix) with the sender and has-file filters added
    as index tokens; ``template`` None means no text (filters only)."""
    parts = [f"({template})"] if template else []
    if filters.get("sender_id") is not None:
        parts.append(f"{{R}}s{int(filters['sender_id']):x}")
    if filters.get("has_file") is True or filters.get("file_type"):
        parts.append("{R}f")
    expr = " AND ".join(parts)
    if filters.get("has_file") is False:
        expr = f"({expr}) NOT {{R}}f"
    return f"({expr})"


def fts_can_filter(filters: dict[str, Any]) -> bool:
    """True when the filters alone (no text) select through index tokens (sender or file)."""
    return filters.get("sender_id") is not None or filters.get("has_file") is True or bool(filters.get("file_type"))


def _sqlite_search(filters: dict[str, Any], params: dict[str, Any], member_sql: str) -> str:
    per_room = "replace(:tpl, '{R}', printf('%xr', rm.room_id))"
    match_sql = (f"(SELECT coalesce(group_concat({per_room}, ' OR '), 'zz') "
                 f"FROM ({member_sql.replace('SELECT rm.room_id', 'SELECT rm.room_id AS room_id')}) rm)")
    params["tpl"] = _fts_expression(params.pop("template"), filters)
    where = [f"search_fts MATCH {match_sql}"]
    # Dates become a rowid range: ids and created_at both grow with every insert (one writer at a time).
    if filters.get("date_from") is not None:
        params["date_from"] = filters["date_from"]
        where.append("search_fts.rowid >= coalesce((SELECT id FROM messages WHERE created_at >= :date_from "
                     "ORDER BY created_at, id LIMIT 1), 9223372036854775807)")
    if filters.get("date_before") is not None:
        params["date_before"] = filters["date_before"]
        where.append("search_fts.rowid <= coalesce((SELECT id FROM messages WHERE created_at < :date_before "
                     "ORDER BY created_at DESC, id DESC LIMIT 1), 0)")
    joins = ""
    if filters.get("file_type"):
        # CROSS JOIN keeps the FTS table as the outer loop (SQLite would otherwise re-run MATCH per row).
        joins = "CROSS JOIN messages m ON m.id = search_fts.rowid "
        where.extend(_filter_sql({"file_type": filters["file_type"]}, params))
    return "FROM search_fts " + joins + "WHERE " + " AND ".join(where)


def _pg_search(conn: Connection, norm_q: str, grams: list[str], filters: dict[str, Any], params: dict[str, Any],
               member_sql: str) -> str | None:
    rooms = [int(r[0]) for r in conn.execute(text(member_sql), params)]
    if not rooms:
        return None
    conds = [f"d.room_id IN ({member_sql})", "strpos(d.norm, :q) > 0"]
    tokens = list(dict.fromkeys(grams)) if len(norm_q) > 1 else [char_token(norm_q)]
    ors = []
    for i, room in enumerate(rooms):
        params[f"g{i}"] = [room_prefix(room) + g for g in tokens]
        ors.append(f"d.grams @> CAST(:g{i} AS text[])")
    conds.insert(0, "(" + " OR ".join(ors) + ")")
    joins = ""
    if _needs_messages(filters):
        joins = "JOIN messages m ON m.id = d.message_id "
        conds += [*_filter_sql(filters, params), "m.deleted_at IS NULL"]
    return "FROM search_docs d " + joins + "WHERE " + " AND ".join(conds)


TOTAL_CAP = 1000  # on PostgreSQL a text search reports at most this total ("1,000+", total_capped)

# PostgreSQL, queries of one or two characters (the common, slow ones): the room-prefixed token is exact
# (the character, or the one bigram), so the GIN index alone finds the matches, without the text.
# 1. At most TOTAL_CAP + 1 matches from the GIN bitmap: the heap is read for those rows only, and with
#    the total below the cap they are every match, so the page comes from the same statement. Sequential
#    and plain index scans are switched off for it: with a LIMIT the planner may otherwise think a scan of
#    the whole table that stops early is cheaper, which it is not when the matches are rare.
_PG_SHORT_CAPPED = text(
    "SELECT s.message_id, count(*) OVER () FROM (SELECT d.message_id FROM search_docs d "
    "WHERE d.grams && CAST(:tokens AS text[]) LIMIT :cap) s ORDER BY s.message_id DESC LIMIT :limit OFFSET :offset")
_PG_SHORT_COUNT = text(
    "SELECT count(*) FROM (SELECT 1 FROM search_docs d WHERE d.grams && CAST(:tokens AS text[]) LIMIT :cap) s")
# 2. More than the cap: the matches are common, so the page is found by walking the newest messages
#    backwards along the primary key (cheap checks: room and substring; never the token array, which is
#    slow to compare row by row), within a window of the newest ``:floor``..max ids, widened once;
#    the exact bitmap statement is the fallback.
_PG_NEWEST = text(
    "SELECT d.message_id FROM search_docs d WHERE d.message_id > :floor AND d.room_id = ANY(:rooms) "
    "AND strpos(d.norm, :q) > 0 ORDER BY d.message_id DESC LIMIT :limit OFFSET :offset")
_PG_WINDOWS = (20_000, 200_000)


def _pg_short(conn: Connection, norm_q: str, token: str, rooms: list[int], limit: int,
              offset: int) -> tuple[list[int], int] | None:
    """Page and total (TOTAL_CAP + 1 standing for "more") of a one- or two-character query; None when
    the newest windows hold too few matches for the page (the caller then runs the exact statement)."""
    params: dict[str, Any] = {"tokens": [room_prefix(r) + token for r in rooms], "cap": TOTAL_CAP + 1,
                              "limit": limit, "offset": offset}
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    conn.execute(text("SET LOCAL enable_indexscan = off"))
    try:
        rows = conn.execute(_PG_SHORT_CAPPED, params).all()
        total = int(rows[0][1]) if rows else int(conn.execute(_PG_SHORT_COUNT, params).scalar_one())
    finally:
        conn.execute(text("RESET enable_seqscan"))
        conn.execute(text("RESET enable_indexscan"))
    if total <= TOTAL_CAP:
        return [int(r[0]) for r in rows], total
    top = int(conn.execute(text("SELECT max(message_id) FROM search_docs")).scalar_one())
    for window in _PG_WINDOWS:
        ids = [int(r[0]) for r in conn.execute(_PG_NEWEST, {"floor": top - window, "rooms": rooms, "q": norm_q,
                                                             "limit": limit, "offset": offset})]
        if len(ids) == limit:
            return ids, total
    return None


def search_ids(conn: Connection, viewer_id: int, norm_q: str, match: str | list[str] | None, filters: dict[str, Any],
               limit: int, offset: int) -> tuple[list[int], int]:
    """Message ids (newest first) matching the normalised query in the viewer's rooms, and the total.

    ``match`` is :func:`messenger.search.text.fts_template` on SQLite, the query's bigrams on PostgreSQL.
    The total is exact, except on PostgreSQL for queries of one or two characters, where more than
    TOTAL_CAP matches come back as TOTAL_CAP + 1 (the search service reports at most TOTAL_CAP there).
    The index is partitioned by room, so the query is built for the viewer's rooms, read from
    ``room_members`` by the query itself (SQLite) or in the same transaction (PostgreSQL)."""
    params: dict[str, Any] = {"uid": viewer_id, "q": norm_q, "limit": limit, "offset": offset}
    member_sql = "SELECT rm.room_id FROM room_members rm WHERE rm.user_id = :uid"
    if filters.get("room_id") is not None:
        member_sql += " AND rm.room_id = :room_id"
        params["room_id"] = filters["room_id"]
    if not is_sqlite(conn):
        if len(norm_q) <= 2 and not _needs_messages(filters):
            rooms = [int(r[0]) for r in conn.execute(text(member_sql), params)]
            if not rooms:
                return [], 0
            token = char_token(norm_q) if len(norm_q) == 1 else list(match or [])[0]
            short = _pg_short(conn, norm_q, token, rooms, limit, offset)
            if short is not None:
                return short
        pg_base = _pg_search(conn, norm_q, list(match or []), filters, params, member_sql)
        if pg_base is None:
            return [], 0
        # "+ 0": PostgreSQL would otherwise walk the primary key backwards and filter every row
        # (slow when the caller's matches are rare); the GIN bitmap plus a top-N sort is not.
        # The total comes with the page (a window count): one pass over the matches instead of two.
        # (Longer queries need the text to confirm a match: docs/PERFORMANCE.md, "PostgreSQL: the capped total".)
        rows = conn.execute(text(f"SELECT d.message_id, count(*) OVER () {pg_base} "
                                 "ORDER BY d.message_id + 0 DESC LIMIT :limit OFFSET :offset"), params).all()
        if rows or offset == 0:
            return [int(r[0]) for r in rows], int(rows[0][1]) if rows else 0
        return [], int(conn.execute(text(f"SELECT count(*) {pg_base}"), params).scalar_one())
    params["template"] = match
    base = _sqlite_search(filters, params, member_sql)
    ids = [int(r[0]) for r in conn.execute(
        text(f"SELECT search_fts.rowid {base} ORDER BY search_fts.rowid DESC LIMIT :limit OFFSET :offset"), params)]
    if offset == 0 and len(ids) < limit:
        return ids, len(ids)
    return ids, int(conn.execute(text(f"SELECT count(*) {base}"), params).scalar_one())


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
