"""Hot statements: the few that every message runs, written once as SQLAlchemy Core statements.

On SQLite each is compiled once (for the connection's dialect, on first use) into its SQL text, the
order of its parameters and their bind processors, and then goes straight to the sqlite3 driver:
through SQLAlchemy each statement costs ~30-40 µs of Python against ~5-10 µs, about 0.2 ms per
message in all, on the server's one gevent hub (docs/decisions.md). On PostgreSQL the Core statement
runs through SQLAlchemy (whose compiled cache holds it). Driver errors become SQLAlchemy's exceptions
(a duplicate ``client_msg_id`` is still an ``IntegrityError``), parameters are converted by the
columns' own bind processors (datetimes in SQLAlchemy's SQLite format), and
``Database.count_statements`` still sees every statement.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

# What a hot statement may be: an insert, update or delete, or a select.
HotSql = UpdateBase | Select[Any]

# Database.count_statements registers its counters here, per engine.
statement_counters: "weakref.WeakKeyDictionary[Engine, list[list[str]]]" = weakref.WeakKeyDictionary()


class Compiled:
    """A hot statement compiled for one positional dialect: SQL text, parameter names in order, and the
    positions whose value needs converting (e.g. a datetime to SQLite's text format)."""

    __slots__ = ("sql", "names", "processors", "_get")

    def __init__(self, statement: HotSql, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise ValueError(f"hot statement has Python-side column defaults; give every column: {compiled}")
        names = tuple(compiled.positiontup or ())
        for name in names:
            if not compiled.binds[name].required:
                raise ValueError(f"hot statement has a literal value ({name}); use bindparam(): {compiled}")
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = names
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(names):
            process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((position, process))
        self.processors = tuple(processors)
        # itemgetter builds the positional tuple in C (for one name it gives the bare value)
        if len(names) == 1:
            only = names[0]
            self._get: Callable[[dict[str, Any]], Sequence[Any]] = lambda params: (params[only],)
        else:
            self._get = itemgetter(*names)

    def values(self, params: dict[str, Any]) -> Sequence[Any]:
        values = self._get(params)
        if not self.processors:
            return values
        converted = list(values)
        for position, process in self.processors:
            converted[position] = process(converted[position])
        return converted


class HotStatement:
    """``HotStatement(update(rooms).values(...).where(rooms.c.id == bindparam("room")))(conn, {"room": 1})``:
    a cursor-like result (``fetchone``, ``fetchall``, ``rowcount``) whose rows are plain tuples.

    Every parameter is a ``bindparam`` passed by name; a literal value or a column's Python-side default
    is refused when the statement is compiled, since the driver would not receive it.
    """

    def __init__(self, statement: HotSql) -> None:
        self.statement = statement
        self._sqlite: Compiled | None = None

    def compiled(self, dialect: Dialect) -> Compiled:
        """The statement compiled for SQLite (once; every SQLite connection shares the dialect's settings)."""
        if self._sqlite is None:
            self._sqlite = Compiled(self.statement, dialect)
        return self._sqlite

    def __call__(self, conn: Connection, params: dict[str, Any]) -> Any:
        dialect = conn.dialect
        if dialect.name != "sqlite":
            return conn.execute(self.statement, params)
        compiled = self._sqlite or self.compiled(dialect)
        values = compiled.values(params)
        for counter in statement_counters.get(conn.engine, ()):
            counter.append(compiled.sql)
        # The pooled connection's DB-API connection is sqlite3's; its cursor runs the compiled text.
        driver: Any = conn.connection.driver_connection
        try:
            return driver.execute(compiled.sql, values)
        except sqlite3.DatabaseError as exc:
            raise DBAPIError.instance(compiled.sql, values, exc, sqlite3.DatabaseError) from exc
