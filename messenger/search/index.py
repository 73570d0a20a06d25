"""Keep the search index current. Called by messages (send/edit/delete) and retention, inside their
own transaction, so a message and its index entry are always committed together."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from messenger.search import store
from messenger.search.text import normalize


def index_message(conn: Connection, message_id: int, room_id: int, text: str) -> None:
    """Index (or re-index) one message. ``text`` is the content, plus the file name for file messages.

    An empty text leaves the message out of the index (e.g. a deleted message)."""
    store.delete_docs(conn, [message_id])
    norm = normalize(text or "")
    if norm:
        sender_id, has_file = store.message_meta(conn, [message_id]).get(message_id, (None, False))
        store.insert_docs(conn, [store.Doc(message_id, room_id, sender_id, has_file, norm)])


def index_new_message(conn: Connection, message_id: int, room_id: int, sender_id: int | None, has_file: bool,
                      text: str) -> None:
    """Index a message inserted in this transaction (the send path: nothing to replace, meta known)."""
    store.insert_docs(conn, [store.Doc(message_id, room_id, sender_id, has_file, normalize(text or ""))])


def index_many(conn: Connection, rows: Iterable[tuple[int, int, str]]) -> None:
    """Bulk variant for messages that are not indexed yet: ``(message_id, room_id, text)`` rows."""
    rows = list(rows)
    meta = store.message_meta(conn, [m for m, _, _ in rows])
    store.insert_docs(conn, [store.Doc(m, r, *meta.get(m, (None, False)), normalize(t or "")) for m, r, t in rows])


def remove_messages(conn: Connection, message_ids: list[int]) -> None:
    """Drop messages from the index (deletion, retention). Unknown ids are ignored."""
    if message_ids:
        store.delete_docs(conn, message_ids)
