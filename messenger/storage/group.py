"""Group commit on SQLite: small write transactions of the server's greenlets share one transaction.

Every transaction on SQLite costs its BEGIN IMMEDIATE and COMMIT, SQLAlchemy's begin and commit, and
the WAL pages it writes; consecutive sends rewrite the same pages (the room's last message, the read
marker, the search index's segment records). Here the sends that arrive while a group is collecting
join it and commit together (docs/decisions.md, "Group commit of sends on SQLite"):

- The first writer to find no group open leads it: it waits until the gevent hub has nothing else to
  run (or at most ``WAIT_SECONDS``), so the greenlets that are runnable now (other sends read from
  their sockets) add their work; then it takes up to ``CAP`` pieces of work, runs them in one
  transaction, each in its own SAVEPOINT, commits, runs every piece's after-commit callbacks in order
  and wakes their greenlets in the same order. A lone write at a quiet moment commits at once.
- A piece that raises rolls back to its savepoint (its statements and queued events are gone) and its
  greenlet gets the exception; the others still commit. ``recover(conn, exc)`` runs on the group's
  connection after that rollback, so it sees the earlier pieces of the same group (the duplicate
  ``client_msg_id`` answer).
- If BEGIN or COMMIT fails, every piece's greenlet gets the error and no callback runs.
- Nothing yields while the transaction is open (the pieces are the same code that runs in
  ``Database.begin``, which must not yield either), so another greenlet's write never meets SQLite's
  lock: it runs before the group's BEGIN or after its COMMIT, on the same hub. The group's
  transaction is as long as the pieces' CPU (up to ``CAP`` sends, ~10 ms at most).

Only greenlets of a gevent hub group (the server); any other caller (a thread, a CLI, the test
process's main thread), a write inside the leader's after-commit callbacks, and PostgreSQL use the
plain transaction.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gevent import Greenlet, getcurrent
from gevent.hub import Hub, Waiter

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Engine

log = logging.getLogger("messenger.storage")

T = TypeVar("T")

CAP = 64  # pieces of work per transaction at most
WAIT_SECONDS = 0.004  # the leader waits for the hub to go idle at most this long (a busy hub never does)
SAVEPOINT = "write_group"


class GroupAborted(Exception):
    """SQLite rolled the whole transaction back under a piece (disk full, I/O error): the group is lost."""


class _Job:
    __slots__ = ("work", "recover", "result", "error", "callbacks", "greenlet", "waiter", "lead")

    def __init__(self, work: Callable[[Connection], Any], recover: Callable[[Connection, Exception], Any] | None,
                 greenlet: Any) -> None:
        self.work = work
        self.recover = recover
        self.result: Any = None
        self.error: BaseException | None = None
        self.callbacks: list[Callable[[], None]] = []
        self.greenlet = greenlet
        self.waiter: Waiter | None = None
        self.lead = False

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class _HubGroups:
    """The group state of one hub (the server's thread)."""

    __slots__ = ("pending", "leader", "open", "groups", "pieces", "__weakref__")

    def __init__(self) -> None:
        self.pending: list[_Job] = []
        self.leader: Any = None  # the greenlet leading the group being collected or run
        self.open = False  # the group's transaction is open (tests check that nothing yields meanwhile)
        self.groups = 0  # transactions committed or attempted, and the pieces they carried
        self.pieces = 0


class WriteGroups:
    """The group commit of one :class:`~messenger.storage.db.Database`'s engine (SQLite only)."""

    def __init__(self, engine: Engine, after_commit: dict[Connection, list[Callable[[], None]]]) -> None:
        """``after_commit``: where ``on_commit`` finds the callback list of an open transaction's connection."""
        self._engine = engine
        self._after_commit = after_commit
        self._hubs: weakref.WeakKeyDictionary[Hub, _HubGroups] = weakref.WeakKeyDictionary()
        self.enabled = True

    def state(self, hub: Hub) -> _HubGroups:
        groups = self._hubs.get(hub)
        if groups is None:
            groups = self._hubs[hub] = _HubGroups()
        return groups

    def stats(self) -> tuple[int, int]:
        """(transactions, pieces of work) grouped so far, over every hub."""
        return sum(g.groups for g in self._hubs.values()), sum(g.pieces for g in self._hubs.values())

    def groupable(self) -> Hub | None:
        """The hub whose group the current greenlet may join, or None for the plain transaction."""
        if not self.enabled:
            return None
        current = getcurrent()
        if not isinstance(current, Greenlet):
            return None
        hub = current.parent
        if not isinstance(hub, Hub):
            return None
        groups = self._hubs.get(hub)
        if groups is not None and groups.leader is current:  # a write from the leader's callbacks
            return None
        return hub

    def run(self, hub: Hub, work: Callable[[Connection], T],
            recover: Callable[[Connection, Exception], T] | None = None) -> T:
        """``work(conn)`` inside the hub's next group; its result (or exception) once the group committed."""
        groups = self.state(hub)
        current = getcurrent()
        job = _Job(work, recover, current)
        groups.pending.append(job)
        if groups.leader is None:
            groups.leader = current
        else:
            job.waiter = Waiter(hub)
            try:
                job.waiter.get()
            except BaseException:
                self._abandon(hub, groups, job)
                raise
            if not job.lead:
                result: T = job.outcome()
                return result
        self._lead(hub, groups, job)
        result = job.outcome()
        return result

    # ---- the leader ---------------------------------------------------------------------------------
    def _lead(self, hub: Hub, groups: _HubGroups, own: _Job) -> None:
        batch: list[_Job] = []
        ran = False
        try:
            _wait_until_idle(hub)
            batch = groups.pending[:CAP]
            del groups.pending[:CAP]
            self._execute(groups, batch)
            ran = True
            for job in batch:
                callbacks, job.callbacks = job.callbacks, []
                for callback in callbacks:
                    try:
                        callback()
                    except Exception:
                        log.exception("after-commit callback failed")
        finally:
            if not batch and own in groups.pending:  # interrupted before the group was taken
                groups.pending.remove(own)
            if not ran:
                for job in batch:
                    if job.error is None:
                        job.error, job.result = GroupAborted("the group's transaction was interrupted"), None
            for job in batch:  # the others get their answers in the order they arrived
                if job is not own and job.waiter is not None:
                    hub.loop.run_callback(job.waiter.switch, None)
            groups.leader = None
            self._hand_over(hub, groups)

    def _hand_over(self, hub: Hub, groups: _HubGroups) -> None:
        """The first waiting piece's greenlet leads the next group."""
        if groups.leader is None and groups.pending:
            nxt = groups.pending[0]
            nxt.lead = True
            groups.leader = nxt.greenlet
            assert nxt.waiter is not None
            hub.loop.run_callback(nxt.waiter.switch, None)

    def _abandon(self, hub: Hub, groups: _HubGroups, job: _Job) -> None:
        """A waiting greenlet was interrupted (killed): its work is dropped if not run yet, and the
        leadership it was handed goes on."""
        if job in groups.pending:
            groups.pending.remove(job)
        if job.lead and groups.leader is job.greenlet:
            groups.leader = None
            self._hand_over(hub, groups)

    def _execute(self, groups: _HubGroups, batch: list[_Job]) -> None:
        """One transaction: each piece in its savepoint, one COMMIT. Never yields."""
        after_commit = self._after_commit
        groups.groups += 1
        groups.pieces += len(batch)
        try:
            with self._engine.connect() as conn, conn.begin():
                driver: Any = conn.connection.driver_connection
                groups.open = True
                try:
                    for job in batch:
                        _run_piece(conn, driver, job, after_commit)
                    if not driver.in_transaction:
                        raise GroupAborted("SQLite ended the transaction before its COMMIT")
                finally:
                    after_commit.pop(conn, None)
                    groups.open = False
        except Exception as exc:  # BEGIN, COMMIT or the group failed: nothing of it is stored
            for job in batch:
                job.callbacks = []
                if job.error is None:
                    job.error = exc
                    job.result = None


def _run_piece(conn: Connection, driver: Any, job: _Job,
               after_commit: dict[Connection, list[Callable[[], None]]]) -> None:
    after_commit[conn] = job.callbacks
    driver.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        job.result = job.work(conn)
    except Exception as exc:
        if not driver.in_transaction:  # SQLite rolled everything back (SQLITE_FULL, IOERR): the group is lost
            raise GroupAborted(str(exc)) from exc
        driver.execute(f"ROLLBACK TO {SAVEPOINT}")
        job.callbacks.clear()
        if job.recover is None:
            job.error = exc
        else:
            try:
                job.result = job.recover(conn, exc)
            except Exception as again:
                job.error = again
                job.callbacks.clear()
                driver.execute(f"ROLLBACK TO {SAVEPOINT}")
    driver.execute(f"RELEASE {SAVEPOINT}")


def _wait_until_idle(hub: Hub) -> None:
    """Let every runnable greenlet run first: back when the hub's loop has nothing pending, or after
    WAIT_SECONDS (a loop that is always busy never goes idle)."""
    loop = hub.loop
    waiter: Waiter[Any] = Waiter(hub)
    idle = loop.idle()
    timer = loop.timer(WAIT_SECONDS)
    idle.start(waiter.switch, None)
    timer.start(waiter.switch, None)
    try:
        waiter.get()
    finally:
        idle.stop()
        timer.stop()
        idle.close()
        timer.close()
