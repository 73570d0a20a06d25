"""The database handle: engine set-up (SQLite WAL or PostgreSQL), transactions and time helpers.

Rule for the gevent server thread: a connection is never held across network I/O (no emit, no HTTP
call inside ``with db.begin()``), so no greenlet ever waits natively on the pool. On PostgreSQL the
driver's own waits are cooperative (psycopg sees gevent's patched ``select``), so a greenlet does yield
while its query runs; the pool therefore never blocks (``pool_timeout`` 0) and a checkout that finds it
full retries with a short ``time.sleep``, which gevent makes cooperative. A native wait on the pool's
lock would stop the whole hub, and with it the greenlets that would give a connection back (every
request then waited the full pool timeout and failed: 100 sockets connecting at once to one node).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from messenger.storage.group import WriteGroups
from messenger.storage.hot import statement_counters

T = TypeVar("T")


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an ``insert()`` just added."""
    key = result.inserted_primary_key
    if key is None:
        raise ValueError("the statement inserted no row")
    return int(key[0])


def utcnow() -> dt.datetime:
    """Now in UTC, naive (every stored timestamp is naive UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def iso(value: dt.datetime | None) -> str | None:
    """A stored naive-UTC timestamp as the contract's ISO 8601 string (``2026-11-23T10:00:00Z``)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO 8601 string into naive UTC; raises ValueError when it is not one."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


log = logging.getLogger("messenger.storage")

# The callbacks queued in each open write transaction (Database.begin), run after it commits.
_after_commit: dict[Connection, list[Callable[[], None]]] = {}


def on_commit(conn: Connection, callback: Callable[[], None]) -> None:
    """Run ``callback()`` once the transaction of ``conn`` (from :meth:`Database.begin`) has committed.

    Callbacks run in the order they were queued, after the connection went back to the pool, in the
    greenlet that ran the transaction; a rolled-back transaction drops them. This is how a service
    sends events: they never go out from inside a transaction, and never for data that was not stored.
    """
    try:
        _after_commit[conn].append(callback)
    except KeyError:
        raise RuntimeError("on_commit() needs the connection of an open Database.begin() block") from None

CHECKPOINT_SECONDS = 0.25
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cur.close()


def _no_auto_checkpoint(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")


def _checkpoint_loop(path: str, stop: threading.Event, interval: float) -> None:
    """Copy the WAL into the database file from an OS thread (sqlite3 releases the GIL while it works).

    With SQLite's automatic checkpoint, the commit that crosses 1,000 WAL pages copies them and
    fsyncs in the middle of a request: on the server's one gevent hub that stalls every connection
    for 5-20 ms about every hundred messages. PASSIVE never blocks readers or writers.
    """
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, timeout=0, check_same_thread=False, isolation_level=None)
        while not stop.wait(interval):
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:  # busy or the file is going away: try again next round
                log.debug("background checkpoint skipped: %s", exc)
    except sqlite3.Error:
        log.exception("background WAL checkpoints stopped")
    finally:
        if conn is not None:
            conn.close()


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    # Straight to the driver: through exec_driver_sql this one statement cost ~60 µs of SQLAlchemy.
    driver: Any = conn.connection.driver_connection  # sqlite3.Connection of the checked-out connection
    driver.execute("BEGIN IMMEDIATE")


POOL_WAIT_SECONDS = 15  # PostgreSQL: how long a checkout waits for a full pool before it fails


class Database:
    """One engine per app. ``begin()`` for a write transaction, ``read()`` for reads."""

    def __init__(self, url: str, background_checkpoint: bool = False) -> None:
        """``background_checkpoint`` (the server's database): SQLite WAL checkpoints run in an OS
        thread instead of inside the commit that fills the WAL."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._checkpoint_stop: threading.Event | None = None
        self._checkpointer: threading.Thread | None = None
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                url,
                pool_size=8,
                max_overflow=56,
                pool_timeout=15,
                connect_args={"check_same_thread": False, "timeout": 10},
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            path = self.engine.url.database
            if background_checkpoint and path and path != ":memory:":
                event.listen(self.engine, "connect", _no_auto_checkpoint)
                self._start_checkpoints(path)
            # Let SQLAlchemy's BEGIN reach SQLite so writes take the lock up front.
            event.listen(self.engine, "begin", _sqlite_begin)
            self._configure_sqlite_autocommit()
        else:
            self.engine = create_engine(url, pool_size=10, max_overflow=40, pool_timeout=0, pool_pre_ping=True)
        # Group commit of the server's small writes (storage/group.py); SQLite only.
        self.groups: WriteGroups | None = WriteGroups(self.engine, _after_commit) if self.is_sqlite else None
        self._statement_counters: list[list[str]] = []
        statement_counters[self.engine] = self._statement_counters  # hot statements report here too

    def _start_checkpoints(self, path: str) -> None:
        stop = self._checkpoint_stop = threading.Event()
        self._checkpointer = threading.Thread(target=_checkpoint_loop, args=(path, stop, CHECKPOINT_SECONDS),
                                              name="sqlite-checkpoint", daemon=True)
        self._checkpointer.start()
        weakref.finalize(self, stop.set)

    def _configure_sqlite_autocommit(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _no_implicit_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        for counter in self._statement_counters:
            counter.append(statement)

    @contextlib.contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        """Collect every SQL statement run inside the block (tests use it to prove query counts)."""
        counter: list[str] = []
        if not self._statement_counters:  # listening only while counting: an event on every statement costs
            event.listen(self.engine, "before_cursor_execute", self._count)
        self._statement_counters.append(counter)
        try:
            yield counter
        finally:
            self._statement_counters.remove(counter)
            if not self._statement_counters:
                event.remove(self.engine, "before_cursor_execute", self._count)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: committed at the end of the block, rolled back on an exception.

        Callbacks queued with :func:`on_commit` run after the commit (and not at all after a rollback).
        One that raises is logged and the others still run: the data is stored either way.
        """
        callbacks: list[Callable[[], None]] = []
        with self._connect() as conn, conn.begin():
            _after_commit[conn] = callbacks
            try:
                yield conn
            finally:
                del _after_commit[conn]
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed")

    def write(self, work: Callable[[Connection], T], recover: Callable[[Connection, Exception], T] | None = None,
              *, group: bool = True) -> T:
        """``work(conn)`` in a write transaction; its result once committed, after its :func:`on_commit`
        callbacks ran (as with :meth:`begin`).

        On SQLite, called from a greenlet of the server's hub (and ``group``), the transaction is shared
        with the other writes that arrive meanwhile (group commit, storage/group.py): ``work`` runs in
        its own savepoint there, so its exception undoes only its own statements. ``recover(conn, exc)``
        answers an exception of ``work`` (or re-raises it): on the group's connection, after the
        savepoint's rollback; on the plain path on a read connection after the rollback. A failed
        COMMIT raises in every writer of the group and runs no callback.
        """
        groups = self.groups
        hub = groups.groupable() if group and groups is not None else None
        if hub is not None and groups is not None:
            return groups.run(hub, work, recover)
        try:
            with self.begin() as conn:
                return work(conn)
        except Exception as exc:
            if recover is None:
                raise
            with self.read() as conn:
                return recover(conn, exc)

    def _connect(self) -> Connection:
        """A pooled connection; on PostgreSQL a full pool is waited for by sleeping (see the module doc)."""
        if self.is_sqlite:
            return self.engine.connect()
        deadline = time.monotonic() + POOL_WAIT_SECONDS
        delay = 0.001
        while True:
            try:
                return self.engine.connect()
            except sa_exc.TimeoutError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (no write lock taken on SQLite)."""
        with self._connect() as conn:
            if self.is_sqlite:
                # A plain connect() would BEGIN IMMEDIATE on first statement; reads need no lock.
                with conn.execution_options(isolation_level="AUTOCOMMIT") as ro:
                    yield ro
            else:
                yield conn
                conn.rollback()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.read() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Close every connection; after it returns no checkpoint touches the file (restore may replace it)."""
        if self._checkpoint_stop is not None and self._checkpointer is not None:
            self._checkpoint_stop.set()
            self._checkpointer.join(10)
        self.engine.dispose()
