"""Hot statements: the few that every message runs, as ONE SQL text for both databases.

On SQLite they go straight to the driver (sqlite3 understands ``:name`` parameters): through
SQLAlchemy each costs ~30-40 µs of Python against ~5-10 µs, about 0.2 ms per message in all, on the
server's one gevent hub (docs/decisions.md). On PostgreSQL they run as ``text()`` through SQLAlchemy.
Driver errors become SQLAlchemy's exceptions (a duplicate ``client_msg_id`` is still an
``IntegrityError``), datetimes are stored in SQLAlchemy's SQLite format, and
``Database.count_statements`` still sees every statement.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import weakref
from typing import Any

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for DateTime on SQLite

# Database.count_statements registers its counters here, per engine.
statement_counters: "weakref.WeakKeyDictionary[Engine, list[list[str]]]" = weakref.WeakKeyDictionary()


class HotStatement:
    """``HotStatement("UPDATE rooms SET ... WHERE id = :room")(conn, {"room": 1})``: a cursor-like result
    (``fetchone``, ``fetchall``, ``rowcount``) whose rows are plain tuples on both databases."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.clause: TextClause = text(sql)

    def __call__(self, conn: Connection, params: dict[str, Any]) -> Any:
        if conn.dialect.name != "sqlite":
            return conn.execute(self.clause, params)
        values = {k: v.strftime(SQLITE_DATETIME) if isinstance(v, dt.datetime) else v for k, v in params.items()}
        for counter in statement_counters.get(conn.engine, ()):
            counter.append(self.sql)
        try:
            return conn.connection.driver_connection.execute(self.sql, values)  # type: ignore[union-attr]
        except sqlite3.DatabaseError as exc:
            raise DBAPIError.instance(self.sql, values, exc, sqlite3.DatabaseError) from exc
