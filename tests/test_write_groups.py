"""The write group's hand-offs (storage/group.py) when a waiting greenlet is killed: the server kills
greenlets when it stops, and a lost hand-off would leave every later write of the hub waiting forever.

These run the group on the test process's own gevent hub (greenlets spawned from the main greenlet)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from messenger.app import create_app, get_services
from messenger.settings import load_settings
from messenger.storage import settings_store
from messenger.storage.db import on_commit


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Any]:
    """The app on the embedded SQLite database (write groups are SQLite's), whatever --db says."""
    app = create_app(load_settings(tmp_path / "data", env={}, overrides={
        "SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": "", "MDNS_ENABLED": False}))
    services = get_services(app)
    yield services
    services.db.dispose()


def _store(tag: str) -> Any:
    def work(conn: Any) -> str:
        settings_store.put(conn, f"probe-{tag}", tag)
        return tag

    return work


def _stored(svc: Any, *tags: str) -> list[str]:
    with svc.db.read() as conn:
        return [t for t in tags if settings_store.get(conn, f"probe-{t}") == t]


@pytest.mark.parametrize("order", ["leader first", "follower first"])
def test_killed_writers_are_dropped_and_the_others_still_commit(svc: Any, order: str) -> None:
    before = svc.db.groups.stats()
    leader, follower, other = (gevent.spawn(svc.db.write, _store(t)) for t in ("one", "two", "three"))
    gevent.sleep(0)  # all three ran up to their wait: the first leads and waits for the hub to go idle
    assert svc.db.groups.stats() == before  # nothing committed yet
    for victim in ([leader, follower] if order == "leader first" else [follower, leader]):
        victim.kill(block=False)
    gevent.joinall([leader, follower, other], timeout=10)
    assert other.value == "three"
    assert isinstance(leader.value, gevent.GreenletExit) and isinstance(follower.value, gevent.GreenletExit)
    assert _stored(svc, "one", "two", "three") == ["three"]
    # The hub's group still works: two more writes commit together
    later = [gevent.spawn(svc.db.write, _store(t)) for t in ("four", "five")]
    gevent.joinall(later, timeout=10)
    assert [g.value for g in later] == ["four", "five"]
    groups, pieces = (b - a for a, b in zip(before, svc.db.groups.stats(), strict=True))
    assert (groups, pieces) == (2, 3)


def test_a_write_from_after_commit_callbacks_does_not_wait_for_its_own_group(svc: Any) -> None:
    """The leader runs the group's callbacks; a callback that writes takes the plain transaction."""
    def work(conn: Any) -> str:
        settings_store.put(conn, "probe-first", "first")
        on_commit(conn, lambda: svc.db.write(_store("follow-up")))
        return "first"

    jobs = [gevent.spawn(svc.db.write, work), gevent.spawn(svc.db.write, _store("beside"))]
    gevent.joinall(jobs, timeout=10)
    assert [j.value for j in jobs] == ["first", "beside"]
    assert _stored(svc, "first", "follow-up", "beside") == ["first", "follow-up", "beside"]
